"""Group sentences into sentence-aligned chunks that fit the embedder's input window."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from index.sentences import Sentence


@dataclass(frozen=True)
class Chunk:
    """Consecutive sentences ``first_sentence..last_sentence`` (inclusive) of one article."""

    id: str
    article_id: str
    first_sentence: int
    last_sentence: int
    text: str


def _cut_words(text: str, budget: int, count_tokens: Callable[[str], int]) -> str:
    """Longest word-aligned prefix within ``budget`` (for embedders without a ``truncate``)."""
    words = text.split()
    lo, hi = 0, len(words)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_tokens(" ".join(words[:mid])) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return " ".join(words[:lo])


def chunk_sentences(
    sentences: Sequence[Sentence],
    count_tokens: Callable[[str], int],
    *,
    budget: int = 200,
    overlap: int = 1,
    truncate: Callable[[str, int], str] | None = None,
    sizes: Sequence[int] | None = None,
) -> list[Chunk]:
    """Greedy sentence packing under ``budget`` tokens, ``overlap`` sentences shared.

    ``sizes`` (token counts of the sentences) saves counting again when the caller has them.
    A single sentence longer than the budget becomes a chunk of its own whose text is cut to
    the budget, so no chunk ever exceeds what the embedder reads.
    """
    if not sentences:
        return []
    overlap = max(0, overlap)
    sizes = list(sizes) if sizes is not None else [count_tokens(s.text) for s in sentences]
    chunks: list[Chunk] = []
    start = 0
    n = len(sentences)
    while start < n:
        end = start
        total = sizes[start]
        while end + 1 < n and total + sizes[end + 1] <= budget:
            end += 1
            total += sizes[end]
        text = " ".join(s.text for s in sentences[start : end + 1])
        if total > budget:
            text = truncate(text, budget) if truncate is not None else _cut_words(text, budget, count_tokens)
        aid = sentences[start].article_id
        chunks.append(Chunk(f"{aid}#{start}-{end}", aid, sentences[start].index, sentences[end].index, text))
        if end + 1 >= n:
            break
        start = max(end + 1 - overlap, start + 1)
    return chunks
