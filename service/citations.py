"""Parse ``[n]`` markers out of generated text and check each claim against its sources.

A claim's support for one cited sentence mixes embedding similarity with lexical evidence:
the claim's content words should appear in the cited text, and its names, numbers and dates
must. Citations below the threshold are dropped; a claim left without any is re-attached to
the best supporting evidence sentence if one clears the threshold, else marked unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.embedder import Embedder
from index.search import Evidence
from index.sentences import split_sentences

MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_ONLY_MARKERS = re.compile(r"^(?:\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+\s*[.!?]?\s*$")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u2019-]*|\d[\d,.:]*%?")
_NUMBER = re.compile(r"\d")
STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "he", "she", "they", "them", "his", "her", "their", "there", "here", "which", "who", "whom", "whose", "what", "when", "where", "why", "how", "not", "no", "do", "does", "did", "has", "have", "had", "will", "would", "can", "could", "should", "may", "might", "must", "shall", "than", "then", "so", "such", "also", "about", "into", "over", "after", "before", "said", "says", "say", "according", "per", "while", "during", "up", "down", "out", "off", "very", "more", "most", "some", "any", "all", "each", "both", "other", "another", "just", "only", "our", "we", "you", "your", "i", "me", "my", "us", "one"]
)


@dataclass
class Claim:
    """One sentence of generated text with the evidence numbers it cites (1-based)."""

    text: str
    markers: list[int] = field(default_factory=list)


@dataclass
class CheckedClaim:
    """A claim after checking: ``citations`` index the evidence list (1-based), all checked."""

    text: str
    citations: list[int]
    supported: bool
    support: float
    reattached: bool = False
    dropped: list[int] = field(default_factory=list)


def strip_markers(text: str) -> str:
    """Text with ``[n]`` markers removed and spacing mended."""
    out = MARKER.sub("", text)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    return re.sub(r"\s{2,}", " ", out).strip()


def markers_in(text: str) -> list[int]:
    """All marker numbers in ``text``, in order, without repeats."""
    seen: list[int] = []
    for group in MARKER.findall(text):
        for num in re.split(r"[,;]", group):
            n = int(num)
            if n not in seen:
                seen.append(n)
    return seen


def parse_claims(text: str) -> list[Claim]:
    """Split generated text into claims; a run of bare markers belongs to the claim before it."""
    claims: list[Claim] = []
    for sent in split_sentences("_", text.strip()):
        if _ONLY_MARKERS.match(sent.text):
            if claims:
                claims[-1].markers += [m for m in markers_in(sent.text) if m not in claims[-1].markers]
            continue
        body = strip_markers(sent.text)
        if len(_WORD.findall(body)) < 2:
            continue
        claims.append(Claim(body, markers_in(sent.text)))
    return claims


def _stem(word: str) -> str:
    w = word.lower().strip("'\u2019").replace(",", "")
    for suffix in ("'s", "\u2019s", "ing", "ed", "es", "s"):
        if len(w) > len(suffix) + 2 and w.endswith(suffix):
            return w[: -len(suffix)]
    return w


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stopwords)."""
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in STOPWORDS}


def key_terms(text: str) -> set[str]:
    """Numbers and proper names: facts a citation must contain verbatim (stemmed)."""
    words = _WORD.findall(text)
    keys = set()
    for i, w in enumerate(words):
        if _NUMBER.search(w):
            keys.add(w.rstrip(".,:").replace(",", ""))
        elif w[0].isupper() and i > 0 and w.lower() not in STOPWORDS:
            keys.add(_stem(w))
    return keys


def _plain_numbers(text: str) -> set[str]:
    return {w.rstrip(".,:").replace(",", "") for w in _WORD.findall(text) if _NUMBER.search(w)}


def lexical_support(claim: str, cited: str) -> float:
    """Share of the claim's content words found in ``cited``, halved for each missing key term."""
    words = content_words(claim)
    if not words:
        return 0.0
    have = content_words(cited) | _plain_numbers(cited)
    overlap = len(words & have) / len(words)
    missing = len(key_terms(claim) - have)
    return overlap * (0.5**missing)


class CitationChecker:
    """Scores claim-sentence support and decides which citations survive."""

    def __init__(self, embedder: Embedder, threshold: float = 0.55) -> None:
        self.embedder = embedder
        self.threshold = threshold

    def scores(self, claim: str, evidence: Sequence[Evidence]) -> np.ndarray:
        """Support of ``claim`` by each evidence sentence, in [0, 1]."""
        if not evidence:
            return np.zeros(0, np.float32)
        vecs = self.embedder.embed([claim, *[e.text for e in evidence]], "document")
        sims = np.clip(vecs[1:] @ vecs[0], 0.0, 1.0)
        lex = np.array([lexical_support(claim, e.text) for e in evidence], np.float32)
        return 0.5 * sims + 0.5 * lex

    def check(self, claim: Claim, evidence: Sequence[Evidence]) -> CheckedClaim:
        """Keep the citations that support ``claim``; re-attach or flag when none do."""
        scores = self.scores(claim.text, evidence)
        valid = [m for m in claim.markers if 1 <= m <= len(evidence)]
        kept = [m for m in valid if scores[m - 1] >= self.threshold]
        dropped = [m for m in claim.markers if m not in kept]
        if kept:
            return CheckedClaim(claim.text, kept, True, float(max(scores[m - 1] for m in kept)), dropped=dropped)
        if len(scores):
            best = int(np.argmax(scores))
            if scores[best] >= self.threshold:
                return CheckedClaim(claim.text, [best + 1], True, float(scores[best]), reattached=True, dropped=dropped)
        top = float(scores.max()) if len(scores) else 0.0
        return CheckedClaim(claim.text, [], False, top, dropped=dropped)
