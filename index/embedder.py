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
    return token_counts(embedder, [text])[0]


def token_counts(embedder: Embedder, texts: Sequence[str]) -> list[int]:
    """Word pieces (without special tokens) of each text, in one tokenizer call when possible."""
    many = getattr(embedder, "count_tokens_many", None)
    if callable(many):
        return [int(n) for n in many(texts)]
    one = getattr(embedder, "count_tokens", None)
    if callable(one):
        return [int(one(t)) for t in texts]
    return [max(1, int(len(t.split()) * 1.4)) for t in texts]


def input_budget(embedder: Embedder, wanted: int) -> int:
    """Word pieces a chunk may hold: ``wanted``, capped so that the special tokens still fit."""
    limit = getattr(embedder, "max_tokens", None)
    special = int(getattr(embedder, "special_tokens", 2))
    return min(wanted, int(limit) - special) if limit else wanted


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
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = getter()
        return int(dim or 384)

    def count_tokens(self, text: str) -> int:
        """Word pieces without the special tokens."""
        return self.count_tokens_many([text])[0]

    def count_tokens_many(self, texts: Sequence[str]) -> list[int]:
        """Word pieces of each text (one batched call to the fast tokenizer)."""
        if not texts:
            return []
        enc = self.model.tokenizer(list(texts), add_special_tokens=False, verbose=False)
        return [len(ids) for ids in enc["input_ids"]]

    def truncate(self, text: str, budget: int) -> str:
        """Longest prefix of ``text`` within ``budget`` word pieces, cut at a token boundary."""
        enc = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        offsets = enc["offset_mapping"]
        if len(offsets) <= budget:
            return text
        return text[: offsets[budget - 1][1]].rstrip() if budget > 0 else ""


EMBEDDERS: dict[str, Callable[..., Embedder]] = {
    "sentence-transformers": SentenceTransformerEmbedder,
}


def load_embedder(path: str, *, backend: str = "sentence-transformers", batch_size: int = 64) -> Embedder:
    """Build the embedder named ``backend`` from the registry."""
    return EMBEDDERS[backend](path, batch_size=batch_size)
