"""Chroma storage of articles, sentences and chunks.

Write order makes ingest crash-safe: sentence and chunk records are written under the new
content hash first, the article record (which makes the article visible) last, and only then
are records of older hashes removed. Readers only trust records whose hash matches the
visible article record, so a killed ingest never shows half an article and a re-run converges.
Records a killed process left behind are swept when the store next opens (their count no
longer matches the catalog's).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.articles import Article
from index.embedder import Embedder, input_budget
from index.errors import ArticleNotFound
from index.filters import ArticleMeta, Filters, IngestResult, Status
from index.prepare import ChunkVectors, Prepared, prepare, unique_runs, unit_rows
from index.sentences import Sentence

__all__ = ["ArticleMeta", "Filters", "IngestResult", "SentenceHit", "Status", "Store", "open_client"]

log = logging.getLogger(__name__)

@dataclass
class SentenceHit:
    """A sentence record returned by a vector query (or fetched by key)."""

    article_id: str
    index: int
    text: str
    start: int
    end: int
    similarity: float
    embedding: np.ndarray | None = field(default=None, repr=False)


def _batched(n: int, size: int) -> Iterator[slice]:
    for i in range(0, n, size):
        yield slice(i, i + size)


class Store:
    """Articles, sentences and chunks in three Chroma collections, plus an in-memory catalog.

    ``chunk_vectors="mean"`` makes a chunk's vector the normalised mean of its sentences'
    vectors (one encode pass per ingest); ``"encode"`` embeds the chunk text as well.
    """

    def __init__(
        self,
        client: Any,
        embedder: Embedder,
        *,
        prefix: str = "newsdesk",
        chunk_tokens: int = 200,
        chunk_overlap: int = 1,
        chunk_vectors: ChunkVectors = "mean",
        repair: bool = True,
    ) -> None:
        self.client = client
        self.embedder = embedder
        self.chunk_tokens = input_budget(embedder, chunk_tokens)
        self.chunk_overlap = chunk_overlap
        self.chunk_vectors = chunk_vectors
        opts: dict[str, Any] = {"metadata": {"hnsw:space": "cosine"}, "embedding_function": None}
        self.articles = client.get_or_create_collection(f"{prefix}_articles", **opts)
        self.sentences = client.get_or_create_collection(f"{prefix}_sentences", **opts)
        self.chunks = client.get_or_create_collection(f"{prefix}_chunks", **opts)
        self.max_batch = int(client.get_max_batch_size())
        self._lock = threading.RLock()
        self.version = 0  # bumps on every visible change; caches (BM25) key on it
        self.catalog: dict[str, ArticleMeta] = {}
        self._load_catalog()
        if repair:
            self.repair()

    # ---- catalog -------------------------------------------------------------------------
    def _load_catalog(self) -> None:
        for ids, metas in self._scan(self.articles):
            for aid, meta in zip(ids, metas, strict=True):
                self.catalog[aid] = ArticleMeta.from_record(aid, meta)
        log.info("index holds %d articles", len(self.catalog))

    def _scan(self, coll: Any) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
        offset = 0
        while True:
            got = coll.get(include=["metadatas"], limit=self.max_batch, offset=offset)
            yield list(got["ids"]), list(got["metadatas"] or [])
            if len(got["ids"]) < self.max_batch:
                return
            offset += self.max_batch

    def visible(self, article_id: str, content_hash: str) -> bool:
        """Whether a sentence/chunk record written under ``content_hash`` is current."""
        meta = self.catalog.get(article_id)
        return meta is not None and meta.hash == content_hash

    def list_articles(self, filters: Filters | None = None) -> list[ArticleMeta]:
        """Visible articles passing ``filters``, newest first."""
        metas = [m for m in self.catalog.values() if filters is None or filters.admits(m)]
        return sorted(metas, key=lambda m: (m.published_ts, m.id), reverse=True)

    def counts(self) -> dict[str, int]:
        """Records in each collection (visible or not)."""
        return {"articles": self.articles.count(), "sentences": self.sentences.count(), "chunks": self.chunks.count()}

    def repair(self) -> int:
        """Delete records no visible article owns (left by a killed ingest); returns how many."""
        want_s = sum(m.sentences for m in self.catalog.values())
        want_c = sum(m.chunks for m in self.catalog.values())
        if self.sentences.count() == want_s and self.chunks.count() == want_c:
            return 0
        removed = 0
        with self._lock:
            for coll in (self.sentences, self.chunks):
                stale = [
                    rid
                    for ids, metas in self._scan(coll)
                    for rid, meta in zip(ids, metas, strict=True)
                    if not self.visible(str(meta.get("article_id")), str(meta.get("hash")))
                ]
                for part in _batched(len(stale), self.max_batch):
                    coll.delete(ids=stale[part])
                removed += len(stale)
        log.warning("removed %d records left by an interrupted ingest", removed)
        return removed

    # ---- writes --------------------------------------------------------------------------
    def upsert(self, article: Article) -> IngestResult:
        """Store ``article`` (created / updated / unchanged); crash-safe, see module doc."""
        return self.upsert_many([article])[0]

    def upsert_many(self, articles: Sequence[Article]) -> list[IngestResult]:
        """Store several articles with one embedding pass; results in the order given."""
        with self._lock:
            return [r for run in unique_runs(articles) for r in self.commit(self.prepare(run))]

    def prepare(self, articles: Sequence[Article]) -> list[Prepared]:
        """Sentences, chunks and vectors of the articles whose content is new (no writes).

        Thread-safe against a concurrent ``commit``: a pipeline prepares batch n+1 while
        batch n is written. ``articles`` must not repeat an id (see ``unique_runs``).
        """
        fresh = [a for a in articles if not self.visible(a.id, a.content_hash)]
        todo = prepare(fresh, self.embedder, budget=self.chunk_tokens, overlap=self.chunk_overlap,
                       chunk_vectors=self.chunk_vectors)
        done = {p.article.id: p for p in todo}
        return [done.get(a.id) or Prepared(a, a.content_hash, []) for a in articles]

    def commit(self, prepared: Sequence[Prepared]) -> list[IngestResult]:
        """Write prepared articles (crash-safe order, see module doc); results in the order given."""
        with self._lock:
            olds = {p.article.id: self.catalog.get(p.article.id) for p in prepared}
            todo = [p for p in prepared if not self.visible(p.article.id, p.digest)]
            if any(not p.sentences for p in todo):  # stored and then changed since it was prepared
                todo = [*(p for p in todo if p.sentences), *self.prepare([p.article for p in todo if not p.sentences])]
            if todo:
                self._write(todo, olds)
        results = []
        for p in prepared:
            old = olds[p.article.id]
            if old is not None and old.hash == p.digest:
                results.append(IngestResult(p.article.id, "unchanged", old.sentences, title=p.article.title))
                continue
            status: Status = "created" if old is None else "updated"
            log.info("%s article %s (%d sentences)", status, p.article.id, self.catalog[p.article.id].sentences)
            results.append(IngestResult(p.article.id, status, self.catalog[p.article.id].sentences,
                                        title=p.article.title))
        return results

    def _write(self, todo: list[Prepared], olds: dict[str, ArticleMeta | None]) -> None:
        s_ids, s_vecs, s_docs, s_metas = [], [], [], []
        c_ids, c_vecs, c_docs, c_metas = [], [], [], []
        for p in todo:
            base = {"article_id": p.article.id, "hash": p.digest, "source": p.article.source,
                    "published_ts": p.article.published_ts}
            s_ids += [f"{p.article.id}:{p.digest}:{s.index}" for s in p.sentences]
            s_docs += [s.text for s in p.sentences]
            s_metas += [{**base, "index": s.index, "start": s.start, "end": s.end} for s in p.sentences]
            s_vecs.append(p.vectors)
            c_ids += [f"{p.article.id}:{p.digest}:{c.first_sentence}-{c.last_sentence}" for c in p.chunks]
            c_docs += [c.text for c in p.chunks]
            c_metas += [{**base, "first": c.first_sentence, "last": c.last_sentence} for c in p.chunks]
            c_vecs.append(p.chunk_vectors)
        self._add(self.sentences, s_ids, np.concatenate(s_vecs), s_docs, s_metas)
        self._add(self.chunks, c_ids, np.concatenate(c_vecs), c_docs, c_metas)
        self._write_articles(todo)  # the articles become visible here, complete
        for p in todo:
            if olds.get(p.article.id) is not None:
                self._drop_stale(p.article.id, p.digest)
        self.version += 1

    def _add(self, coll: Any, ids: list[str], vecs: np.ndarray, docs: list[str], metas: list[dict[str, Any]]) -> None:
        for part in _batched(len(ids), self.max_batch):
            coll.upsert(ids=ids[part], embeddings=vecs[part], documents=docs[part], metadatas=metas[part])

    def _write_articles(self, todo: list[Prepared]) -> None:
        metas = [
            {"title": p.article.title, "url": p.article.url, "source": p.article.source,
             "published_at": p.article.published_at, "published_ts": p.article.published_ts,
             "hash": p.digest, "sentences": len(p.sentences), "chunks": len(p.chunks)}
            for p in todo
        ]
        dim = todo[0].vectors.shape[1]
        centroids = unit_rows(np.stack([p.vectors.mean(axis=0) if len(p.vectors) else np.zeros(dim) for p in todo]))
        self._add(self.articles, [p.article.id for p in todo], centroids, [p.article.text for p in todo], metas)
        for p, meta in zip(todo, metas, strict=True):
            self.catalog[p.article.id] = ArticleMeta.from_record(p.article.id, meta)

    def _drop_stale(self, article_id: str, digest: str) -> None:
        where = {"$and": [{"article_id": article_id}, {"hash": {"$ne": digest}}]}
        self.sentences.delete(where=where)
        self.chunks.delete(where=where)

    def delete(self, article_id: str) -> None:
        """Remove every trace of an article; the article record goes first (invisible at once)."""
        with self._lock:
            if article_id not in self.catalog:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            self.articles.delete(ids=[article_id])
            del self.catalog[article_id]
            self.version += 1
            self.sentences.delete(where={"article_id": article_id})
            self.chunks.delete(where={"article_id": article_id})

    # ---- reads ---------------------------------------------------------------------------
    def _meta(self, article_id: str) -> ArticleMeta:
        meta = self.catalog.get(article_id)
        if meta is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        return meta

    def get(self, article_id: str) -> tuple[Article, list[Sentence]]:
        """The stored article and its sentences (with offsets), or ArticleNotFound."""
        meta = self._meta(article_id)
        got = self.articles.get(ids=[article_id], include=["documents"])
        if not got["ids"]:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        article = Article(id=meta.id, title=meta.title, text=got["documents"][0], url=meta.url,
                          source=meta.source, published_at=meta.published_at)
        return article, self.sentences_of(article_id)

    def texts(self, article_ids: Sequence[str]) -> dict[str, str]:
        """Full text of each stored article in ``article_ids`` (one read; unknown ids are left out)."""
        wanted = [a for a in dict.fromkeys(article_ids) if a in self.catalog]
        if not wanted:
            return {}
        got = self.articles.get(ids=wanted, include=["documents"])
        return {i: d for i, d in zip(got["ids"], got["documents"] or [], strict=False) if d is not None}

    def sentences_of(self, article_id: str) -> list[Sentence]:
        """Current sentences of one article in order."""
        meta = self._meta(article_id)
        ids = [f"{article_id}:{meta.hash}:{i}" for i in range(meta.sentences)]
        return [Sentence(h.article_id, h.index, h.text, h.start, h.end) for h in self._fetch(ids, False)]

    def sentence_vectors(self, article_id: str) -> np.ndarray:
        """Stored embeddings of an article's current sentences, in sentence order."""
        meta = self._meta(article_id)
        return self.vectors([f"{article_id}:{meta.hash}:{i}" for i in range(meta.sentences)])

    def vectors(self, sentence_ids: Sequence[str]) -> np.ndarray:
        """Stored embeddings for sentence record ids, in the order given."""
        if not sentence_ids:
            return np.zeros((0, 0), np.float32)
        return np.stack([h.embedding for h in self._fetch(sentence_ids, True) if h.embedding is not None])

    def sentence_id(self, article_id: str, index: int) -> str:
        """Record id of a current sentence."""
        return f"{article_id}:{self._meta(article_id).hash}:{index}"

    def fetch_sentences(self, keys: Sequence[tuple[str, int]], *, with_vectors: bool = False) -> list[SentenceHit]:
        """Current sentences by (article_id, index), in the order given (unknown keys skipped)."""
        ids = [f"{a}:{self.catalog[a].hash}:{i}" for a, i in keys if a in self.catalog]
        return self._fetch(ids, with_vectors)

    def _fetch(self, ids: Sequence[str], with_vectors: bool) -> list[SentenceHit]:
        include = ["documents", "metadatas"] + (["embeddings"] if with_vectors else [])
        by_id: dict[str, SentenceHit] = {}
        for part in _batched(len(ids), self.max_batch):
            got = self.sentences.get(ids=list(ids[part]), include=include)
            for j, (rid, doc, m) in enumerate(zip(got["ids"], got["documents"], got["metadatas"], strict=True)):
                emb = np.asarray(got["embeddings"][j], np.float32) if with_vectors else None
                by_id[rid] = SentenceHit(str(m["article_id"]), int(m["index"]), doc, int(m["start"]), int(m["end"]),
                                         0.0, emb)
        return [by_id[i] for i in ids if i in by_id]

    def query_sentences(
        self, vector: np.ndarray, n: int, filters: Filters | None = None, *, with_vectors: bool = False,
        with_text: bool = True,
    ) -> list[SentenceHit]:
        """Nearest current sentences to ``vector`` (cosine similarity), filters applied in Chroma.

        ``with_text=False`` skips the sentence texts (hits carry keys and scores only).
        """
        include = ["metadatas", "distances"] + (["documents"] if with_text else []) + (
            ["embeddings"] if with_vectors else [])
        res = self._query(self.sentences, vector, n, filters, include)
        metas, dists = res["metadatas"][0], res["distances"][0]
        docs = res["documents"][0] if with_text else [""] * len(metas)
        hits = []
        for i, (doc, meta, dist) in enumerate(zip(docs, metas, dists, strict=True)):
            if not self.visible(str(meta["article_id"]), str(meta["hash"])):
                continue
            emb = np.asarray(res["embeddings"][0][i], np.float32) if with_vectors else None
            hits.append(SentenceHit(str(meta["article_id"]), int(meta["index"]), doc, int(meta["start"]),
                                    int(meta["end"]), 1.0 - float(dist), emb))
        return hits

    def query_chunks(
        self, vector: np.ndarray, n: int, filters: Filters | None = None
    ) -> list[tuple[str, int, int, float]]:
        """Nearest current chunks: (article_id, first_sentence, last_sentence, similarity)."""
        res = self._query(self.chunks, vector, n, filters, ["metadatas", "distances"])
        out = []
        for meta, dist in zip(res["metadatas"][0], res["distances"][0], strict=True):
            if self.visible(str(meta["article_id"]), str(meta["hash"])):
                out.append((str(meta["article_id"]), int(meta["first"]), int(meta["last"]), 1.0 - float(dist)))
        return out

    def _query(self, coll: Any, vector: np.ndarray, n: int, filters: Filters | None, include: list[str]) -> Any:
        where = filters.where() if filters else None
        if not self.catalog:
            return {"documents": [[]], "metadatas": [[]], "distances": [[]], "embeddings": [[]]}
        return coll.query(query_embeddings=[np.asarray(vector, np.float32)], n_results=max(1, n), where=where,
                          include=include)

    def iter_current_sentences(self, article_ids: Sequence[str] | None = None) -> Iterator[tuple[str, int, str]]:
        """(article_id, index, text) of every current sentence (of ``article_ids`` if given)."""
        if article_ids is None:
            for ids, metas in self._scan_docs(None):
                yield from ((str(m["article_id"]), int(m["index"]), d) for d, m in zip(ids, metas, strict=True)
                            if self.visible(str(m["article_id"]), str(m["hash"])))
            return
        wanted = [a for a in article_ids if a in self.catalog]
        for part in _batched(len(wanted), 200):
            for hit in self.fetch_sentences([(a, i) for a in wanted[part] for i in range(self.catalog[a].sentences)]):
                yield hit.article_id, hit.index, hit.text

    def _scan_docs(self, where: dict[str, Any] | None) -> Iterator[tuple[list[str], list[dict[str, Any]]]]:
        offset = 0
        while True:
            got = self.sentences.get(where=where, include=["documents", "metadatas"], limit=self.max_batch,
                                     offset=offset)
            yield list(got["documents"]), list(got["metadatas"])
            if len(got["ids"]) < self.max_batch:
                return
            offset += self.max_batch


def open_client(mode: str, *, path: str = "", host: str = "127.0.0.1", port: int = 8001) -> Any:
    """A Chroma client: embedded (PersistentClient at ``path``) or a ``chroma run`` server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cfg = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if mode == "server":
        return chromadb.HttpClient(host=host, port=port, settings=cfg)
    return chromadb.PersistentClient(path=path, settings=cfg)
