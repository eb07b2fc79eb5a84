"""Hybrid search: dense (sentence + chunk vectors) and BM25, fused by reciprocal rank.

Returns evidence sentences with article metadata, after a diversity step that keeps
near-identical sentences (syndicated wire copy) from filling the list.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from index.embedder import Embedder
from index.store import Filters, Store

log = logging.getLogger(__name__)

RRF_K = 60
CHANNELS = ("dense", "chunks", "bm25")
# A chunk hit lends a small vote to each of its sentences: context that breaks ties. Larger weights
# flood the list with whole passages (bench: Recall@1 0.40 at 0.5, 0.64 at 0.1 on bench/questions.jsonl).
WEIGHTS = {"dense": 1.0, "chunks": 0.1, "bm25": 1.0}
DUPLICATE_COSINE = 0.95
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
    """Lower-cased word tokens (shared by the near-duplicate test)."""
    return _WORD.findall(text.lower())


def near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    """Jaccard overlap of word sets at or above ``threshold``."""
    return _overlapping(set(tokens(a)), set(tokens(b)), threshold)


def _overlapping(sa: set[str], sb: set[str], threshold: float = 0.8) -> bool:
    if not sa or not sb:
        return False
    return len(sa & sb) / len(sa | sb) >= threshold


@functools.lru_cache(maxsize=1)
def _stemmer() -> Any:
    try:
        import Stemmer  # PyStemmer: "walked out" finds "walkout", "rates" finds "rate"
    except ImportError:  # pragma: no cover - BM25 still works, only less forgiving
        return None
    return Stemmer.Stemmer("english")


def _bm25s() -> Any:
    """The bm25s module, with its logger (which it sets to DEBUG on import) brought down to warnings."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def bm25_tokens(texts: list[str]) -> list[list[str]]:
    """BM25 terms: lower-cased words, English stopwords out, Snowball-stemmed."""
    bm25s = _bm25s()

    out = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(t) for t in out]  # type: ignore[union-attr]


class _Lexical:
    """BM25 over every current sentence; per-article tokens cached, the index rebuilt on change."""

    def __init__(self) -> None:
        self.version = -1
        self.cache: dict[str, tuple[str, list[tuple[str, int]], list[list[str]]]] = {}
        self.keys: list[tuple[str, int]] = []
        self.row_article = np.zeros(0, np.int64)
        self.article_index: dict[str, int] = {}
        self.retriever: Any = None
        self.lock = threading.Lock()

    def refresh(self, store: Store) -> None:
        with self.lock:
            if self.version == store.version:
                return
            version = store.version
            for aid in [a for a in self.cache if a not in store.catalog]:
                del self.cache[aid]
            stale = [a for a, m in store.catalog.items() if self.cache.get(a, ("",))[0] != m.hash]
            self._load(store, stale if self.cache else None)
            self._build()
            self.version = version

    def _load(self, store: Store, article_ids: list[str] | None) -> None:
        rows: dict[str, list[tuple[int, str]]] = {}
        for aid, idx, text in store.iter_current_sentences(article_ids):
            rows.setdefault(aid, []).append((idx, text))
        for aid, items in rows.items():
            items.sort()
            toks = bm25_tokens([t for _, t in items])
            self.cache[aid] = (store.catalog[aid].hash, [(aid, i) for i, _ in items], toks)

    def _build(self) -> None:
        bm25s = _bm25s()

        self.keys, corpus, rows = [], [], []
        self.article_index = {}
        for n, (aid, (_, keys, toks)) in enumerate(sorted(self.cache.items())):  # stable order: stable ties
            self.article_index[aid] = n
            self.keys += keys
            corpus += toks
            rows += [n] * len(keys)
        self.row_article = np.asarray(rows, np.int64)
        self.retriever = None
        if corpus:
            self.retriever = bm25s.BM25()
            self.retriever.index(corpus, show_progress=False)
        log.info("BM25 index built over %d sentences", len(self.keys))

    def query(self, store: Store, text: str, n: int, allowed: Iterable[str] | None) -> list[tuple[str, int]]:
        """Best sentence keys for ``text``; ``allowed`` restricts to those articles."""
        self.refresh(store)
        q = bm25_tokens([text])[0]
        if self.retriever is None or not q:
            return []
        # get_scores, not retrieve: retrieve starts a thread pool on every call (~3 ms)
        scores = np.asarray(self.retriever.get_scores(q), np.float32)
        if allowed is not None:
            idx = [self.article_index[a] for a in allowed if a in self.article_index]
            scores = scores * np.isin(self.row_article, idx)
        hits = np.flatnonzero(scores > 0)
        best = hits[np.argsort(-scores[hits], kind="stable")[:n]]  # ties: corpus order, every time
        return [self.keys[int(i)] for i in best]


class Searcher:
    """Runs hybrid queries against one Store.

    ``channels`` picks the rankers that vote (all three by default; the bench compares them).
    """

    def __init__(self, store: Store, embedder: Embedder, *, channels: tuple[str, ...] = CHANNELS) -> None:
        self.store = store
        self.embedder = embedder
        self.channels = channels
        self.lexical = _Lexical()

    def warm(self) -> None:
        """Build the BM25 index now (else the first search after loading or a change pays for it)."""
        if "bm25" in self.channels:
            self.lexical.refresh(self.store)

    def search(
        self, query: str, filters: Filters | None = None, k: int = 10, *, min_relevance: float = 0.0
    ) -> list[Evidence]:
        """Top ``k`` evidence sentences for ``query``; [] when nothing clears ``min_relevance``."""
        filters = None if filters is None or filters.is_empty() else filters
        allowed = None if filters is None else [m.id for m in self.store.list_articles(filters)]
        if not query.strip() or not self.store.catalog or allowed == []:
            return []
        qvec = self.embedder.embed([query], "query")[0]
        fused = self._fuse(query, qvec, filters, allowed, k)
        ranked = sorted(fused, key=lambda key: (-fused[key], key))[: 3 * k]  # ties broken the same way every time
        hits = self.store.fetch_sentences(ranked, with_vectors=True)
        vecs = np.stack([h.embedding for h in hits if h.embedding is not None]) if hits else np.zeros((0, len(qvec)))
        relevance = vecs @ np.asarray(qvec, np.float32)
        if not len(hits) or float(relevance.max()) < min_relevance:
            return []
        out: list[Evidence] = []
        kept: list[int] = []
        similar = vecs @ vecs.T
        words = [set(tokens(h.text)) for h in hits]
        for j, hit in enumerate(hits):
            if relevance[j] < min_relevance * 0.5:  # far below the floor: lexical noise
                continue
            # wire copy of a sentence already chosen: almost the same vector or almost the same words
            if any(similar[j, i] >= DUPLICATE_COSINE or _overlapping(words[j], words[i]) for i in kept):
                continue
            kept.append(j)
            meta = self.store.catalog[hit.article_id]
            score = fused[(hit.article_id, hit.index)]
            out.append(Evidence(hit.article_id, hit.index, hit.text, hit.start, hit.end, meta.title, meta.url,
                                meta.source, meta.published_at, score, float(relevance[j])))
            if len(out) >= k:
                break
        return out

    def _fuse(
        self, query: str, qvec: np.ndarray, filters: Filters | None, allowed: list[str] | None, k: int
    ) -> dict[tuple[str, int], float]:
        """Rank with each enabled channel, then fuse the rankings."""
        pool = max(4 * k, 30)
        rankings: dict[str, list[list[tuple[str, int]]]] = {}
        if "dense" in self.channels:
            dense = self.store.query_sentences(qvec, pool, filters, with_text=False)
            rankings["dense"] = [[(h.article_id, h.index)] for h in dense]
        if "chunks" in self.channels:
            rankings["chunks"] = [[(aid, i) for i in range(first, last + 1)]
                                  for aid, first, last, _ in self.store.query_chunks(qvec, max(k, 10), filters)]
        if "bm25" in self.channels:
            rankings["bm25"] = [[key] for key in self.lexical.query(self.store, query, pool, allowed)]
        return rrf(rankings)


def rrf(rankings: dict[str, list[list[tuple[str, int]]]], weights: dict[str, float] | None = None,
        k: int = RRF_K) -> dict[tuple[str, int], float]:
    """Weighted reciprocal-rank fusion. Each ranking lists groups of keys (a chunk's sentences
    form one group and share its rank); a key scores the sum of weight / (k + rank).
    """
    weights = weights or WEIGHTS
    fused: dict[tuple[str, int], float] = {}
    for channel, ranking in rankings.items():
        for rank, group in enumerate(ranking):
            for key in group:
                fused[key] = fused.get(key, 0.0) + weights[channel] / (k + rank)
    return fused
