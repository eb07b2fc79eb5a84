"""Parse ``[n]`` markers out of generated text and check each claim against its sources.

A claim's support by one cited sentence mixes embedding similarity with lexical evidence: the
share of the claim's content words found in the cited text, times a penalty for each hard fact
that does not match: a number missing from the sentence (or there of another kind: "14 million crowns"
is not backed by "a 14-month renovation"), a name missing from the sentence and
its article's title, or opposite polarity ("was cancelled" against "no notice that it ended").
One such mismatch puts a claim below the default threshold whatever its similarity; so do two or
more invented content words (in neither the cited sentence, its title nor the question).
Citations below the threshold are dropped; a claim left without any is re-attached to the best
supporting evidence sentence if one clears the threshold, else marked unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.embedder import Embedder
from index.search import Evidence
from index.sentences import split_sentences
from service.mentions import facts_missing
from service.text import STOPWORDS, content_stems, names

MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
_ONLY_MARKERS = re.compile(r"^(?:\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+\s*[.!?]?\s*$")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f][\w'\u2019-]*|\d[\d,.:]*%?")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nothing|neither|nor|without|cannot)\b|n['\u2019]t\b", re.IGNORECASE)

__all__ = ["STOPWORDS", "CheckedClaim", "CitationChecker", "Claim", "markers_in", "parse_claims", "strip_markers"]


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


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning (no stopwords)."""
    return content_stems(text)


def negated(text: str) -> bool:
    """Whether ``text`` holds a negation word."""
    return bool(_NEGATION.search(text))


def mismatches(claim: str, cited: str, title: str = "") -> int:
    """Hard facts of ``claim`` that ``cited`` contradicts or lacks (numbers, names, polarity)."""
    missing = facts_missing(claim, cited)
    missing += len(names(claim) - names(f"{cited} {title}") - {w.lower() for w in _WORD.findall(cited + " " + title)})
    missing += int(negated(claim) != negated(cited))
    return missing


def invented(claim: str, cited: str, title: str = "", asked: str = "") -> int:
    """Content words of ``claim`` (four letters or more) found in neither ``cited``, its title nor the
    question: "the 27-km detour to the bridge's *central pier*" from "a 27-km detour via the bridge"."""
    return _unsourced(content_stems(claim), content_stems(cited) | content_stems(title) | content_stems(asked))


def _unsourced(words: set[str], known: set[str]) -> int:
    return sum(1 for w in words - known if len(w) >= 4 and not w[:1].isdigit())


def lexical_support(claim: str, cited: str, title: str = "") -> float:
    """Share of the claim's content words found in ``cited``, halved for each mismatched hard fact."""
    words = content_stems(claim)
    if not words:
        return 0.0
    overlap = len(words & (content_stems(cited) | content_stems(title))) / len(words)
    return overlap * 0.5 ** mismatches(claim, cited, title)


class CitationChecker:
    """Scores claim-sentence support and decides which citations survive."""

    def __init__(self, embedder: Embedder, threshold: float = 0.55) -> None:
        self.embedder = embedder
        self.threshold = threshold

    def scores(self, claim: str, evidence: Sequence[Evidence], vectors: np.ndarray | None = None,
               asked: str = "") -> np.ndarray:
        """Support of ``claim`` by each evidence sentence, in [0, 1].

        ``vectors`` (one row per evidence sentence) saves re-embedding stored sentences. ``asked`` (the
        question) holds words a claim may repeat without a source; other words found in neither the
        sentence nor its title are invented, and two or more of them count as one mismatch.
        """
        if not evidence:
            return np.zeros(0, np.float32)
        if vectors is None or len(vectors) != len(evidence):
            vecs = self.embedder.embed([claim, *[e.text for e in evidence]], "document")
            claim_vec, vectors = vecs[0], vecs[1:]
        else:
            claim_vec = self.embedder.embed([claim], "document")[0]
        sims = np.clip(vectors @ claim_vec, 0.0, 1.0)
        words = content_stems(claim)
        question = content_stems(asked)
        out = np.zeros(len(evidence), np.float32)
        for i, e in enumerate(evidence):
            source = content_stems(e.text) | content_stems(e.title)
            overlap = len(words & source) / len(words) if words else 0.0
            wrong = mismatches(claim, e.text, e.title) + int(_unsourced(words, source | question) >= 2)
            out[i] = (0.5 * sims[i] + 0.5 * overlap) * 0.5 ** wrong
        return out

    def check(
        self, claim: Claim, evidence: Sequence[Evidence], *, vectors: np.ndarray | None = None,
        allowed: Collection[int] | None = None, asked: str = "",
    ) -> CheckedClaim:
        """Keep the citations that support ``claim``; re-attach or flag when none do.

        ``allowed`` (1-based positions) limits which sentences the claim may cite (for example the
        ones that answer the question); ``None`` allows all.
        """
        scores = self.scores(claim.text, evidence, vectors, asked)
        valid = [m for m in claim.markers if 1 <= m <= len(evidence) and (allowed is None or m in allowed)]
        kept = [m for m in valid if scores[m - 1] >= self.threshold]
        dropped = [m for m in claim.markers if m not in kept]
        if kept:
            return CheckedClaim(claim.text, kept, True, float(max(scores[m - 1] for m in kept)), dropped=dropped)
        candidates = [i for i in range(len(scores)) if allowed is None or i + 1 in allowed]
        if candidates:
            best = max(candidates, key=lambda i: float(scores[i]))
            if scores[best] >= self.threshold:
                return CheckedClaim(claim.text, [best + 1], True, float(scores[best]), reattached=True, dropped=dropped)
        top = float(scores.max()) if len(scores) else 0.0
        return CheckedClaim(claim.text, [], False, top, dropped=dropped)
