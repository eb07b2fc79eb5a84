"""Small records shared by the store, search and the surfaces: filters, catalog entries, results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from index.articles import parse_datetime
from index.errors import InvalidArticle, InvalidRequest

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
    chunks: int = 0

    @classmethod
    def from_record(cls, aid: str, meta: dict[str, Any]) -> ArticleMeta:
        """Rebuild from an article record's Chroma metadata."""
        return cls(
            id=aid,
            title=str(meta.get("title", "")),
            url=str(meta.get("url", "")),
            source=str(meta.get("source", "")),
            published_at=str(meta.get("published_at", "")),
            published_ts=int(meta.get("published_ts", 0)),
            hash=str(meta.get("hash", "")),
            sentences=int(meta.get("sentences", 0)),
            chunks=int(meta.get("chunks", 0)),
        )


@dataclass(frozen=True)
class Filters:
    """Restrictions on which articles search, summaries and listings see."""

    article_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: str = ""  # ISO 8601 date or datetime, inclusive
    until: str = ""  # ISO 8601; a bare date means the end of that day

    def is_empty(self) -> bool:
        """True when the filters admit every article."""
        return not (self.article_ids or self.sources or self.since or self.until)

    def bounds(self) -> tuple[int | None, int | None]:
        """Epoch-second bounds (inclusive) for ``published_ts``; InvalidRequest on a bad date."""
        lo = hi = None
        try:
            if self.since:
                lo = int(parse_datetime(self.since).timestamp())
            if self.until:
                hi = int(parse_datetime(self.until).timestamp())
                if len(self.until.strip()) == 10:  # bare date: the whole day counts
                    hi += 86399
        except InvalidArticle as exc:  # same wording, but it is the request that is wrong
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
