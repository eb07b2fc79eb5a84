"""Request bodies of the native API (responses are the core dataclasses as JSON)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from index.store import Filters


class FiltersIn(BaseModel):
    """Which articles a request may use."""

    model_config = ConfigDict(extra="forbid")

    article_ids: list[str] = Field(default_factory=list, max_length=1000)
    sources: list[str] = Field(default_factory=list, max_length=100)
    since: str = Field("", max_length=40, description="ISO 8601 date/datetime, inclusive")
    until: str = Field("", max_length=40, description="ISO 8601 date/datetime, inclusive")

    def to_filters(self) -> Filters:
        return Filters(tuple(self.article_ids), tuple(self.sources), self.since, self.until)


class ArticleIn(BaseModel):
    """One article to ingest: ``text`` or ``html`` is required."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(None, max_length=128)
    title: str = Field("", max_length=1000)
    text: str | None = None
    html: str | None = None
    url: str = Field("", max_length=4000)
    source: str = Field("", max_length=500)
    published_at: str = Field("", max_length=40)


class ArticlesIn(BaseModel):
    articles: list[ArticleIn] = Field(..., min_length=1, max_length=1000)


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1)
    filters: FiltersIn | None = None
    top_k: int | None = Field(None, ge=1, le=50)
