"""Hybrid search: dense (sentence + chunk vectors) and BM25, fused by reciprocal rank.

Returns evidence sentences with article metadata, after a diversity step that keeps
near-identical sentences (syndicated wire copy) from filling the list.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

import numpy as np

from index.embedder import Embedder
from index.store import Filters, Store

log = logging.getLogger(__name__)

RRF_K = 60
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Evidence:
    """One retrieved sentence, ready to be shown to a model and cited."""

    article_id: str
    sentence_index: int
    text: str
    start: int
    end: int
    title: str
    url: str
    source: str
    published_at: str
    score: float  # fused rank score (higher is better)
    relevance: float  # cosine similarity of query and sentence, in [-1, 1]

    @property
    def key(self) -> tuple[str, int]:
        return (self.article_id, self.sentence_index)


def tokens(text: str) -> list[str]:
    """Lower-cased word tokens (shared by BM25 and the near-duplicate test)."""
    return _WORD.findall(text.lower())


def near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    """Jaccard overlap of word sets at or above ``threshold``."""
    sa, sb = set(tokens(a)), set(tokens(b))
    if not sa or not sb:
        return False
    return len(sa & sb) / len(sa | sb) >= threshold


class _Lexical:
    """BM25 over every current sentence, rebuilt when the store's version moves."""

    def __init__(self) -> None:
        self.version = -1
        self.keys: list[tuple[str, int]] = []
        self.texts: list[str] = []
        self.retriever = None
        self.lock = threading.Lock()

    def refresh(self, store: Store) -> None:
        with self.lock:
            if self.version == store.version:
                return
            import bm25s

            rows = list(store.iter_current_sentences())
            self.keys = [(a, i) for a, i, _ in rows]
            self.texts = [t for _, _, t in rows]
            if rows:
                retriever = bm25s.BM25()
                retriever.index(bm25s.tokenize(self.texts, stopwords="en", show_progress=False), show_progress=False)
                self.retriever = retriever
            else:
                self.retriever = None
            self.version = store.version
            log.info("BM25 index rebuilt over %d sentences", len(rows))

    def query(self, store: Store, text: str, n: int, filters: Filters | None) -> list[tuple[str, int]]:
        self.refresh(store)
        if self.retriever is None or not self.keys:
            return []
        import bm25s

        q = bm25s.tokenize([text], stopwords="en", show_progress=False)
        if not q.vocab:
            return []
        mask = None
        if filters is not None and filters != Filters():
            allowed = {m.id for m in store.list_articles(filters)}
            mask = np.array([1.0 if a in allowed else 0.0 for a, _ in self.keys], dtype=np.float32)
        k = min(n, len(self.keys))
        docs, scores = self.retriever.retrieve(q, k=k, weight_mask=mask, show_progress=False, n_threads=1)
        return [self.keys[int(d)] for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class Searcher:
    """Runs hybrid queries against one Store."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical = _Lexical()

    def search(self, query: str, filters: Filters | None = None, k: int = 10, *, min_relevance: float = 0.0) -> list[Evidence]:
        """Top ``k`` evidence sentences for ``query``; [] when nothing clears ``min_relevance``."""
        if not query.strip() or not self.store.catalog:
            return []
        qvec = self.embedder.embed([query], "query")[0]
        pool = max(4 * k, 30)
        dense = self.store.query_sentences(qvec, pool, filters, with_vectors=True)
        chunks = self.store.query_chunks(qvec, max(k, 10), filters)
        lexical = self.lexical.query(self.store, query, pool, filters)

        fused: dict[tuple[str, int], float] = {}
        for rank, hit in enumerate(dense):
            fused[(hit.article_id, hit.index)] = fused.get((hit.article_id, hit.index), 0.0) + 1.0 / (RRF_K + rank)
        for rank, (aid, first, last, _sim) in enumerate(chunks):
            for idx in range(first, last + 1):  # every sentence of a matching chunk shares its rank
                fused[(aid, idx)] = fused.get((aid, idx), 0.0) + 0.5 / (RRF_K + rank)
        for rank, key in enumerate(lexical):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)

        relevance = {(h.article_id, h.index): h.similarity for h in dense}
        ranked = sorted(fused, key=lambda key: fused[key], reverse=True)[: 3 * k]
        missing = [key for key in ranked if key not in relevance]
        if missing:
            ids = [self.store.sentence_id(a, i) for a, i in missing]
            vecs = self.store.vectors(ids)
            for key, vec in zip(missing, vecs, strict=True):
                relevance[key] = float(np.dot(vec, qvec))
        if max((relevance[key] for key in ranked), default=0.0) < min_relevance:
            return []
        return self._materialise(ranked, fused, relevance, k, min_relevance)

    def _materialise(
        self, ranked: list[tuple[str, int]], fused: dict[tuple[str, int], float],
        relevance: dict[tuple[str, int], float], k: int, min_relevance: float,
    ) -> list[Evidence]:
        by_article: dict[str, dict[int, tuple[str, int, int]]] = {}
        out: list[Evidence] = []
        for aid, idx in ranked:
            if relevance[(aid, idx)] < min_relevance * 0.5:  # far below the floor: noise
                continue
            if aid not in by_article:
                by_article[aid] = {s.index: (s.text, s.start, s.end) for s in self.store.sentences_of(aid)}
            text, start, end = by_article[aid][idx]
            if any(near_duplicate(text, e.text) for e in out):
                continue
            meta = self.store.catalog[aid]
            out.append(Evidence(aid, idx, text, start, end, meta.title, meta.url, meta.source,
                                meta.published_at, fused[(aid, idx)], relevance[(aid, idx)]))
            if len(out) >= k:
                break
        return out
