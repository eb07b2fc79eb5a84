"""Embedders: texts -> L2-normalised float32 vectors. Chosen by name from a registry."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Literal, Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)

Kind = Literal["query", "document"]


@runtime_checkable
class Embedder(Protocol):
    """Anything that turns texts into normalised vectors (one row per text)."""

    def embed(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray:
        """Return an array of shape (len(texts), dim), rows of unit length."""
        ...


def count_tokens(embedder: Embedder, text: str) -> int:
    """Word pieces the embedder reads for ``text`` (a word-count estimate if it cannot say)."""
    counter = getattr(embedder, "count_tokens", None)
    if callable(counter):
        return int(counter(text))
    return max(1, int(len(text.split()) * 1.4))


class SentenceTransformerEmbedder:
    """A sentence-transformers model loaded from a local folder (never from a hub)."""

    def __init__(self, path: str, *, batch_size: int = 64, device: str = "cpu") -> None:
        from sentence_transformers import SentenceTransformer  # lazy: pulls in torch

        log.info("loading embedder from %s", path)
        self.model = SentenceTransformer(path, device=device, local_files_only=True)
        self.batch_size = batch_size
        self.max_tokens = int(self.model.max_seq_length or 256)
        self.name = path.rstrip("/").split("/")[-1]

    def embed(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = self.model.encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vecs, dtype=np.float32)

    @property
    def dimension(self) -> int:
        dim = self.model.get_sentence_embedding_dimension()
        return int(dim or 384)

    def count_tokens(self, text: str) -> int:
        """Word pieces without the special tokens."""
        return len(self.model.tokenizer.tokenize(text))

    def truncate(self, text: str, budget: int) -> str:
        """Longest word-aligned prefix of ``text`` within ``budget`` word pieces."""
        words = text.split()
        lo, hi = 0, len(words)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.count_tokens(" ".join(words[:mid])) <= budget:
                lo = mid
            else:
                hi = mid - 1
        return " ".join(words[:lo])


EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "sentence-transformers": SentenceTransformerEmbedder,
}


def load_embedder(path: str, *, backend: str = "sentence-transformers", batch_size: int = 64) -> Embedder:
    """Build the embedder named ``backend`` from the registry."""
    return EMBEDDERS[backend](path, batch_size=batch_size)
