"""Fakes that implement newsdesk's Protocols, for tests and offline demos.

They are real implementations of the interfaces (not mocks): ``HashEmbedder`` gives
deterministic bag-of-words vectors, ``ScriptedGenerator`` replays queued outputs and records
prompts, ``FunctionGenerator`` computes its output from the prompt.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from index.embedder import Kind

_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Deterministic embedder: hashed word (and word-bigram) counts, L2-normalised."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str], kind: Kind = "document") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            for feat in words + [a + " " + b for a, b in itertools.pairwise(words)]:
                h = int.from_bytes(hashlib.blake2b(feat.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if " " not in feat else 0.5
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out

    def count_tokens(self, text: str) -> int:
        return max(1, len(_WORD.findall(text)))


def _chunks_of(text: str, size: int = 7) -> Iterator[str]:
    for i in range(0, len(text), size):
        yield text[i : i + size]


class ScriptedGenerator:
    """Replays queued outputs in order, streamed in small pieces; records every call."""

    def __init__(self, outputs: Sequence[str] = (), *, model_id: str = "fake-scripted", n_ctx: int = 4096) -> None:
        self.queue: list[str] = list(outputs)
        self.history: list[dict[str, Any]] = []
        self.model_id = model_id
        self.n_ctx = n_ctx

    def enqueue(self, *outputs: str) -> None:
        """Add outputs to be returned by the next calls, in order."""
        self.queue.extend(outputs)

    def stream(self, messages: list[dict[str, str]], **options: Any) -> Iterator[str]:
        self.history.append({"messages": messages, **options})
        text = self.queue.pop(0) if self.queue else ""
        yield from _chunks_of(text)

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)


class FunctionGenerator:
    """Computes the output from the messages with ``fn``; records every call."""

    def __init__(
        self, fn: Callable[[list[dict[str, str]]], str], *, model_id: str = "fake-function", n_ctx: int = 4096
    ) -> None:
        self.fn = fn
        self.history: list[dict[str, Any]] = []
        self.model_id = model_id
        self.n_ctx = n_ctx

    def stream(self, messages: list[dict[str, str]], **options: Any) -> Iterator[str]:
        self.history.append({"messages": messages, **options})
        yield from _chunks_of(self.fn(messages))

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 4)
