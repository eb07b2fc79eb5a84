"""Sources of summaries: loaded articles, and the salient, diverse sentences worth summarizing.

Salience is LexRank centrality over the stored sentence embeddings, a lead bias (news puts the
key facts first) and, given a query, relevance; MMR then picks a diverse pool across articles,
skipping near-identical wire copy. List items, headings, fragments and text addressed to AI
tools (prompt injection) never enter a pool.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from index.errors import ArticleNotFound
from index.search import Evidence, Searcher, near_duplicate
from index.sentences import Sentence
from index.store import ArticleMeta, Filters, Store
from service.answerability import looks_like_injection

_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s")


@dataclass
class ArticleData:
    """An article's metadata, current sentences and their stored embeddings."""

    meta: ArticleMeta
    sentences: list[Sentence]
    vectors: np.ndarray
    relevance: float = 0.0

    @property
    def centroid(self) -> np.ndarray:
        """Unit-length mean of the sentence vectors."""
        if not len(self.vectors):
            return np.zeros(1, np.float32)
        mean = self.vectors.mean(axis=0)
        return mean / (float(np.linalg.norm(mean)) or 1.0)


def load_article(store: Store, article_id: str) -> ArticleData:
    """Sentences and vectors of one article, or ArticleNotFound."""
    meta = store.catalog.get(article_id)
    if meta is None:
        raise ArticleNotFound(f"no article with id {article_id!r}; list ids with GET /v1/articles")
    return ArticleData(meta, store.sentences_of(article_id), store.sentence_vectors(article_id))


def to_evidence(meta: ArticleMeta, s: Sentence, score: float = 0.0, relevance: float = 0.0) -> Evidence:
    """A stored sentence as citable Evidence."""
    return Evidence(meta.id, s.index, s.text, s.start, s.end, meta.title, meta.url, meta.source,
                    meta.published_at, score, relevance)


def article_info(meta: ArticleMeta) -> dict[str, str]:
    """What responses list about a source article."""
    return {"id": meta.id, "title": meta.title, "url": meta.url, "source": meta.source,
            "published_at": meta.published_at}


# ---- salience ---------------------------------------------------------------------------
def lexrank(vectors: np.ndarray, damping: float = 0.85, iterations: int = 50) -> np.ndarray:
    """Continuous LexRank: stationary scores of the cosine-similarity graph, max scaled to 1."""
    n = len(vectors)
    if n == 0:
        return np.zeros(0, np.float32)
    sims = np.clip(vectors @ vectors.T, 0.0, None)
    np.fill_diagonal(sims, 0.0)
    rows = sims.sum(axis=1, keepdims=True)
    trans = np.divide(sims, rows, out=np.full_like(sims, 1.0 / n), where=rows > 0)
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        rank = (1 - damping) / n + damping * (trans.T @ rank)
    return rank / (float(rank.max()) or 1.0)


def salience(vectors: np.ndarray, positions: Sequence[int], relevance: np.ndarray | None = None) -> np.ndarray:
    """Centrality + lead bias (position in article) + query relevance, each in [0, 1]."""
    central = lexrank(vectors)
    lead = np.exp(-np.asarray(positions, np.float32) / 4.0)
    if relevance is None or not len(relevance):
        return 0.55 * central + 0.45 * lead
    rel = np.clip(relevance, 0.0, None)
    rel = rel / (float(rel.max()) or 1.0)
    return 0.4 * central + 0.3 * lead + 0.3 * rel


def mmr(vectors: np.ndarray, scores: np.ndarray, texts: Sequence[str], k: int, lam: float = 0.7) -> list[int]:
    """Maximal marginal relevance order of up to ``k`` items; near-identical texts are skipped."""
    chosen: list[int] = []
    left = set(range(len(texts)))
    sims = vectors @ vectors.T if len(vectors) else np.zeros((0, 0))
    while left and len(chosen) < k:
        def value(i: int) -> float:
            redundancy = max((float(sims[i, j]) for j in chosen), default=0.0)
            return lam * float(scores[i]) - (1 - lam) * redundancy

        best = max(sorted(left), key=value)
        left.discard(best)
        if any(sims[best, j] >= 0.92 or near_duplicate(texts[best], texts[j]) for j in chosen):
            continue  # wire copy of a sentence already chosen
        chosen.append(best)
    return chosen


def usable(text: str) -> bool:
    """Whether a sentence may enter a summary (not a list item, heading, fragment or injection)."""
    if looks_like_injection(text) or _LIST_ITEM.match(text) or text.rstrip().endswith(":"):
        return False
    return len(text.split()) >= 5


@dataclass
class Pool:
    """Candidate sentences in reading order, with their MMR rank (0 = most salient)."""

    evidence: list[Evidence]
    rank: list[int]
    vectors: np.ndarray  # stored embedding of each evidence sentence

    def by_rank(self) -> list[int]:
        """Pool positions (0-based), most salient first."""
        return sorted(range(len(self.evidence)), key=lambda i: self.rank[i])


def build_pool(articles: Sequence[ArticleData], size: int, qvec: np.ndarray | None = None,
               exclude: frozenset[tuple[str, int]] = frozenset()) -> Pool:
    """The ``size`` most salient, mutually diverse sentences of ``articles``, in reading order."""
    rows: list[tuple[ArticleData, Sentence, np.ndarray]] = [
        (a, s, a.vectors[s.index]) for a in articles for s in a.sentences
        if s.index < len(a.vectors) and (a.meta.id, s.index) not in exclude and usable(s.text)
    ]
    if not rows:
        return Pool([], [], np.zeros((0, 0), np.float32))
    vecs = np.asarray([r[2] for r in rows], np.float32)
    rel = vecs @ qvec if qvec is not None else None
    scores = salience(vecs, [r[1].index for r in rows], rel)
    order = mmr(vecs, scores, [r[1].text for r in rows], size)
    reading = sorted(order, key=lambda i: (rows[i][0].meta.published_ts, rows[i][0].meta.id, rows[i][1].index))
    evidence = [to_evidence(rows[i][0].meta, rows[i][1], float(scores[i]), float(rel[i]) if rel is not None else 0.0)
                for i in reading]
    return Pool(evidence, [order.index(i) for i in reading], vecs[reading])


def rank_articles(store: Store, searcher: Searcher, query: str, qvec: np.ndarray,
                  filters: Filters | None) -> list[ArticleData]:
    """Candidate articles for ``query``, loaded, ``relevance`` set, most relevant first.

    Candidates are the articles of the best sentences (hybrid search) and of the nearest chunks
    (which reach articles whose sentences the search's duplicate filter left out). Relevance
    mixes the article's centroid similarity with its three best sentences' mean similarity.
    """
    hits = [h.article_id for h in searcher.search(query, filters, k=40, min_relevance=0.0)]
    where = filters if filters is not None and not filters.is_empty() else None
    hits += [aid for aid, *_ in store.query_chunks(qvec, 60, where)]
    found: list[ArticleData] = []
    for aid in dict.fromkeys(hits):
        data = load_article(store, aid)
        sims = data.vectors @ qvec
        top = float(np.sort(sims)[-3:].mean()) if len(sims) else 0.0
        data.relevance = 0.5 * float(data.centroid @ qvec) + 0.5 * top
        found.append(data)
    return sorted(found, key=lambda d: d.relevance, reverse=True)
