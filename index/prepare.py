"""Turning articles into records ready to store: sentences, chunks and their vectors.

Pure computation (no storage), so that a pipeline can prepare the next batch while the
previous one is being written.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from index.articles import Article
from index.chunking import Chunk, chunk_sentences
from index.embedder import Embedder, count_tokens, token_counts
from index.sentences import Sentence, split_sentences

ChunkVectors = Literal["mean", "encode"]


@dataclass
class Prepared:
    """One article with its sentences, chunks and vectors, not yet stored."""

    article: Article
    digest: str
    sentences: list[Sentence]
    chunks: list[Chunk] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    chunk_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return (rows / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def unique_runs(articles: Sequence[Article]) -> Iterator[list[Article]]:
    """Consecutive runs without a repeated id (a later copy of an id starts a new run)."""
    run: list[Article] = []
    ids: set[str] = set()
    for article in articles:
        if article.id in ids:
            yield run
            run, ids = [], set()
        run.append(article)
        ids.add(article.id)
    if run:
        yield run


def prepare(
    articles: Sequence[Article], embedder: Embedder, *, budget: int, overlap: int, chunk_vectors: ChunkVectors = "mean"
) -> list[Prepared]:
    """Split, chunk and embed ``articles``: one tokenizer pass and one embedding call for all.

    ``chunk_vectors="mean"``: a chunk's vector is the normalised mean of its sentences' vectors
    (no second encoding pass); ``"encode"``: chunk texts are embedded too, in the same call.
    """
    todo = [Prepared(a, a.content_hash, split_sentences(a.id, a.text)) for a in articles]
    texts = [s.text for p in todo for s in p.sentences]
    sizes = token_counts(embedder, texts)
    cut = getattr(embedder, "truncate", None)
    pos = 0
    for p in todo:
        n = len(p.sentences)
        p.chunks = chunk_sentences(p.sentences, lambda t: count_tokens(embedder, t), budget=budget, overlap=overlap,
                                   truncate=cut, sizes=sizes[pos : pos + n])
        pos += n
    chunk_texts = [c.text for p in todo for c in p.chunks] if chunk_vectors == "encode" else []
    vecs = embedder.embed(texts + chunk_texts, "document")  # one call: batches stay full
    pos, cpos = 0, len(texts)
    for p in todo:
        p.vectors = vecs[pos : pos + len(p.sentences)]
        pos += len(p.sentences)
        if chunk_vectors == "encode":
            p.chunk_vectors = vecs[cpos : cpos + len(p.chunks)]
            cpos += len(p.chunks)
        elif p.chunks:
            means = [p.vectors[c.first_sentence : c.last_sentence + 1].mean(axis=0) for c in p.chunks]
            p.chunk_vectors = unit_rows(np.stack(means))
        else:
            p.chunk_vectors = p.vectors[:0]
    return todo
