"""Chroma storage of articles, sentences and chunks.

Write order makes ingest crash-safe: sentence and chunk records are written under the new
content hash first, the article record (which makes the article visible) last, and only then
are records of older hashes removed. Readers only trust records whose hash matches the
visible article record, so a killed ingest never shows half an article and a re-run converges.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from index.articles import Article, parse_datetime
from index.chunking import Chunk, chunk_sentences
from index.embedder import Embedder, count_tokens
from index.errors import ArticleNotFound, InvalidRequest
from index.sentences import Sentence, split_sentences

log = logging.getLogger(__name__)

Status = Literal["created", "updated", "unchanged", "error"]


@dataclass(frozen=True)
class IngestResult:
    """Outcome of one article's ingest."""

    id: str
    status: Status
    sentences: int = 0
    error: str | None = None
    title: str = ""


@dataclass(frozen=True)
class Filters:
    """Restrictions on which articles search, summaries and listings see."""

    article_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: str = ""  # ISO 8601 date or datetime, inclusive
    until: str = ""  # ISO 8601; a bare date means the end of that day

    def bounds(self) -> tuple[int | None, int | None]:
        """Epoch-second bounds (inclusive) for ``published_ts``."""
        lo = hi = None
        try:
            if self.since:
                lo = int(parse_datetime(self.since).timestamp())
            if self.until:
                hi = int(parse_datetime(self.until).timestamp())
                if len(self.until.strip()) == 10:  # bare date: the whole day counts
                    hi += 86399
        except Exception as exc:  # InvalidArticle carries the wording; re-raise as a request error
            raise InvalidRequest(f"bad date filter: {exc}") from exc
        return lo, hi

    def where(self) -> dict[str, Any] | None:
        """Chroma ``where`` clause for sentence/chunk records."""
        clauses: list[dict[str, Any]] = []
        if self.article_ids:
            clauses.append({"article_id": {"$in": list(self.article_ids)}})
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        lo, hi = self.bounds()
        if lo is not None:
            clauses.append({"published_ts": {"$gte": lo}})
        if hi is not None:
            clauses.append({"published_ts": {"$lte": hi}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def admits(self, meta: ArticleMeta) -> bool:
        """Whether one visible article passes these filters."""
        if self.article_ids and meta.id not in self.article_ids:
            return False
        if self.sources and meta.source not in self.sources:
            return False
        lo, hi = self.bounds()
        if lo is not None and meta.published_ts < lo:
            return False
        return not (hi is not None and meta.published_ts > hi)


@dataclass(frozen=True)
class ArticleMeta:
    """What the catalog keeps in memory about a visible article."""

    id: str
    title: str
    url: str
    source: str
    published_at: str
    published_ts: int
    hash: str
    sentences: int


@dataclass
class SentenceHit:
    """A sentence record returned by a vector query."""

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
    """Articles, sentences and chunks in three Chroma collections, plus an in-memory catalog."""

    def __init__(
        self,
        client: Any,
        embedder: Embedder,
        *,
        prefix: str = "newsdesk",
        chunk_tokens: int = 200,
        chunk_overlap: int = 1,
    ) -> None:
        self.client = client
        self.embedder = embedder
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap
        opts: dict[str, Any] = {"metadata": {"hnsw:space": "cosine"}, "embedding_function": None}
        self.articles = client.get_or_create_collection(f"{prefix}_articles", **opts)
        self.sentences = client.get_or_create_collection(f"{prefix}_sentences", **opts)
        self.chunks = client.get_or_create_collection(f"{prefix}_chunks", **opts)
        self.max_batch = int(client.get_max_batch_size())
        self._lock = threading.RLock()
        self.version = 0  # bumps on every visible change; caches (BM25) key on it
        self.catalog: dict[str, ArticleMeta] = {}
        self._load_catalog()

    # ---- catalog -------------------------------------------------------------------------
    def _load_catalog(self) -> None:
        offset = 0
        while True:
            got = self.articles.get(include=["metadatas"], limit=self.max_batch, offset=offset)
            for aid, meta in zip(got["ids"], got["metadatas"] or [], strict=False):
                self.catalog[aid] = _meta_from_record(aid, meta)
            if len(got["ids"]) < self.max_batch:
                break
            offset += self.max_batch
        log.info("index holds %d articles", len(self.catalog))

    def visible(self, article_id: str, content_hash: str) -> bool:
        """Whether a sentence/chunk record written under ``content_hash`` is current."""
        meta = self.catalog.get(article_id)
        return meta is not None and meta.hash == content_hash

    def list_articles(self, filters: Filters | None = None) -> list[ArticleMeta]:
        """Visible articles passing ``filters``, newest first."""
        metas = [m for m in self.catalog.values() if filters is None or filters.admits(m)]
        return sorted(metas, key=lambda m: (m.published_ts, m.id), reverse=True)

    # ---- writes --------------------------------------------------------------------------
    def upsert(self, article: Article) -> IngestResult:
        """Store ``article`` (created / updated / unchanged); crash-safe, see module doc."""
        with self._lock:
            old = self.catalog.get(article.id)
            digest = article.content_hash
            if old is not None and old.hash == digest:
                return IngestResult(article.id, "unchanged", old.sentences, title=article.title)
            sentences = split_sentences(article.id, article.text)
            chunks = chunk_sentences(
                sentences,
                lambda t: count_tokens(self.embedder, t),
                budget=self.chunk_tokens,
                overlap=self.chunk_overlap,
                truncate=getattr(self.embedder, "truncate", None),
            )
            sent_vecs = self.embedder.embed([s.text for s in sentences], "document")
            chunk_vecs = self.embedder.embed([c.text for c in chunks], "document")
            self._write_sentences(article, digest, sentences, sent_vecs)
            self._write_chunks(article, digest, chunks, chunk_vecs)
            self._write_article(article, digest, len(sentences), sent_vecs)
            self._drop_stale(article.id, digest)
            self.version += 1
            status: Status = "created" if old is None else "updated"
            log.info("%s article %s (%d sentences)", status, article.id, len(sentences))
            return IngestResult(article.id, status, len(sentences), title=article.title)

    def _add(self, coll: Any, ids: list[str], vecs: np.ndarray, docs: list[str], metas: list[dict[str, Any]]) -> None:
        for part in _batched(len(ids), self.max_batch):
            coll.upsert(ids=ids[part], embeddings=vecs[part], documents=docs[part], metadatas=metas[part])

    def _base_meta(self, article: Article, digest: str) -> dict[str, Any]:
        return {
            "article_id": article.id,
            "hash": digest,
            "source": article.source,
            "published_ts": article.published_ts,
        }

    def _write_sentences(self, article: Article, digest: str, sents: Sequence[Sentence], vecs: np.ndarray) -> None:
        base = self._base_meta(article, digest)
        ids = [f"{article.id}:{digest}:{s.index}" for s in sents]
        metas = [{**base, "index": s.index, "start": s.start, "end": s.end} for s in sents]
        self._add(self.sentences, ids, vecs, [s.text for s in sents], metas)

    def _write_chunks(self, article: Article, digest: str, chunks: Sequence[Chunk], vecs: np.ndarray) -> None:
        base = self._base_meta(article, digest)
        ids = [f"{article.id}:{digest}:{c.first_sentence}-{c.last_sentence}" for c in chunks]
        metas = [{**base, "first": c.first_sentence, "last": c.last_sentence} for c in chunks]
        self._add(self.chunks, ids, vecs, [c.text for c in chunks], metas)

    def _write_article(self, article: Article, digest: str, n_sentences: int, sent_vecs: np.ndarray) -> None:
        centroid = sent_vecs.mean(axis=0) if len(sent_vecs) else np.zeros(sent_vecs.shape[1], np.float32)
        norm = float(np.linalg.norm(centroid)) or 1.0
        meta = {
            "title": article.title,
            "url": article.url,
            "source": article.source,
            "published_at": article.published_at,
            "published_ts": article.published_ts,
            "hash": digest,
            "sentences": n_sentences,
        }
        self.articles.upsert(
            ids=[article.id], embeddings=[(centroid / norm).tolist()], documents=[article.text], metadatas=[meta]
        )
        self.catalog[article.id] = _meta_from_record(article.id, meta)

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
    def get(self, article_id: str) -> tuple[Article, list[Sentence]]:
        """The stored article and its sentences (with offsets), or ArticleNotFound."""
        meta = self.catalog.get(article_id)
        if meta is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        got = self.articles.get(ids=[article_id], include=["documents"])
        if not got["ids"]:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        article = Article(
            id=meta.id, title=meta.title, text=got["documents"][0], url=meta.url,
            source=meta.source, published_at=meta.published_at,
        )
        return article, self.sentences_of(article_id)

    def sentences_of(self, article_id: str) -> list[Sentence]:
        """Current sentences of one article in order."""
        meta = self.catalog.get(article_id)
        if meta is None:
            raise ArticleNotFound(f"no article with id {article_id!r}")
        got = self.sentences.get(
            where={"$and": [{"article_id": article_id}, {"hash": meta.hash}]},
            include=["documents", "metadatas"],
        )
        out = [
            Sentence(article_id, int(m["index"]), doc, int(m["start"]), int(m["end"]))
            for doc, m in zip(got["documents"], got["metadatas"], strict=True)
        ]
        return sorted(out, key=lambda s: s.index)

    def sentence_vectors(self, article_id: str) -> np.ndarray:
        """Stored embeddings of an article's current sentences, in sentence order."""
        meta = self.catalog[article_id]
        ids = [f"{article_id}:{meta.hash}:{i}" for i in range(meta.sentences)]
        return self.vectors(ids)

    def vectors(self, sentence_ids: Sequence[str]) -> np.ndarray:
        """Stored embeddings for sentence record ids, in the order given."""
        if not sentence_ids:
            return np.zeros((0, 0), np.float32)
        got = self.sentences.get(ids=list(sentence_ids), include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        return np.asarray([by_id[i] for i in sentence_ids], dtype=np.float32)

    def sentence_id(self, article_id: str, index: int) -> str:
        """Record id of a current sentence."""
        return f"{article_id}:{self.catalog[article_id].hash}:{index}"

    def query_sentences(
        self, vector: np.ndarray, n: int, filters: Filters | None = None, *, with_vectors: bool = False
    ) -> list[SentenceHit]:
        """Nearest current sentences to ``vector`` (cosine similarity), filters applied in Chroma."""
        include = ["documents", "metadatas", "distances"] + (["embeddings"] if with_vectors else [])
        res = self._query(self.sentences, vector, n, filters, include)
        hits = []
        for i, (doc, meta, dist) in enumerate(zip(res["documents"][0], res["metadatas"][0], res["distances"][0], strict=True)):
            if not self.visible(str(meta["article_id"]), str(meta["hash"])):
                continue
            emb = np.asarray(res["embeddings"][0][i], np.float32) if with_vectors else None
            hits.append(SentenceHit(str(meta["article_id"]), int(meta["index"]), doc, int(meta["start"]), int(meta["end"]), 1.0 - float(dist), emb))
        return hits

    def query_chunks(self, vector: np.ndarray, n: int, filters: Filters | None = None) -> list[tuple[str, int, int, float]]:
        """Nearest current chunks: (article_id, first_sentence, last_sentence, similarity)."""
        res = self._query(self.chunks, vector, n, filters, ["metadatas", "distances"])
        out = []
        for meta, dist in zip(res["metadatas"][0], res["distances"][0], strict=True):
            if self.visible(str(meta["article_id"]), str(meta["hash"])):
                out.append((str(meta["article_id"]), int(meta["first"]), int(meta["last"]), 1.0 - float(dist)))
        return out

    def _query(self, coll: Any, vector: np.ndarray, n: int, filters: Filters | None, include: list[str]) -> Any:
        where = filters.where() if filters else None
        count = coll.count()
        if count == 0:
            return {"documents": [[]], "metadatas": [[]], "distances": [[]], "embeddings": [[]]}
        return coll.query(
            query_embeddings=[np.asarray(vector, np.float32).tolist()],
            n_results=max(1, min(n, count)),
            where=where,
            include=include,
        )

    def iter_current_sentences(self) -> Iterator[tuple[str, int, str]]:
        """(article_id, index, text) of every current sentence, for the lexical index."""
        offset = 0
        while True:
            got = self.sentences.get(include=["documents", "metadatas"], limit=self.max_batch, offset=offset)
            for doc, meta in zip(got["documents"], got["metadatas"], strict=True):
                if self.visible(str(meta["article_id"]), str(meta["hash"])):
                    yield str(meta["article_id"]), int(meta["index"]), doc
            if len(got["ids"]) < self.max_batch:
                return
            offset += self.max_batch


def _meta_from_record(aid: str, meta: dict[str, Any]) -> ArticleMeta:
    return ArticleMeta(
        id=aid,
        title=str(meta.get("title", "")),
        url=str(meta.get("url", "")),
        source=str(meta.get("source", "")),
        published_at=str(meta.get("published_at", "")),
        published_ts=int(meta.get("published_ts", 0)),
        hash=str(meta.get("hash", "")),
        sentences=int(meta.get("sentences", 0)),
    )


def open_client(mode: str, *, path: str = "", host: str = "127.0.0.1", port: int = 8001) -> Any:
    """A Chroma client: embedded (PersistentClient at ``path``) or a ``chroma run`` server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    cfg = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if mode == "server":
        return chromadb.HttpClient(host=host, port=port, settings=cfg)
    return chromadb.PersistentClient(path=path, settings=cfg)
