"""Text normalisation and sentence splitting with exact character offsets.

Every sentence satisfies ``text[start:end] == sentence.text`` on the normalised text, which is
the text newsdesk stores; citations point into it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_BLOCK = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class Sentence:
    """One sentence of one article; ``start``/``end`` index the article's stored text."""

    article_id: str
    index: int
    text: str
    start: int
    end: int


def normalize_text(text: str) -> str:
    """Unicode NFC, unified newlines, single spaces, at most one blank line, no edge space."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    text = _ZERO_WIDTH.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def _spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans covering all of one line's non-space characters, in order.

    sentencex decides where sentences end (it knows abbreviations, decimals, ellipses, quotes,
    and does not take "quay 37. Sentence 38" for a numbered list as pysbd does); the offsets
    are found again in the original text, so no character is ever lost or altered.
    """
    import sentencex  # lazy: only ingest needs it

    pieces = [p.strip() for p in sentencex.segment("en", text)]
    bounds: list[int] = []
    cursor = 0
    for piece in pieces:
        if not piece:
            continue
        found = text.find(piece, cursor)
        if found < 0:  # the segmenter changed the text: fall back to the longest findable prefix
            head = piece[: max(1, min(len(piece), 12))]
            found = text.find(head, cursor)
            if found < 0:
                continue
            end = found + len(head)
        else:
            end = found + len(piece)
        bounds.append(end)
        cursor = end
    spans: list[tuple[int, int]] = []
    start = 0
    for end in [*bounds[:-1], len(text)] if bounds else [len(text)]:
        seg = text[start:end]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if trail > lead:
            spans.append((start + lead, start + trail))
        start = end
    return spans


def split_sentences(article_id: str, text: str) -> list[Sentence]:
    """Split normalised ``text`` into sentences; each line (paragraph, list item) is split alone."""
    sentences: list[Sentence] = []
    for line in _BLOCK.finditer(text):
        for s, e in _spans(line.group()):
            start, end = line.start() + s, line.start() + e
            sentences.append(Sentence(article_id, len(sentences), text[start:end], start, end))
    return sentences
