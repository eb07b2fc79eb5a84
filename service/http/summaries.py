"""Summaries and briefings over HTTP: POST /v1/summarize, POST /v1/briefings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from service.http.schemas import FiltersIn
from service.http.worker import last_event, start

router = APIRouter(prefix="/v1", tags=["summaries"])
T = TypeVar("T")


class SummarizeIn(BaseModel):
    """Summarize articles by id, or the articles matching a query and/or filters."""

    model_config = ConfigDict(extra="forbid")

    article_ids: list[str] = Field(default_factory=list, max_length=100, description="Articles to summarize.")
    query: str = Field("", max_length=2000, description="Summarize the articles about this instead.")
    filters: FiltersIn | None = None
    max_sentences: int = Field(3, ge=1, le=20, description="Length of the summary in sentences.")
    extractive: bool = Field(False, description="Quote the most salient source sentences; skip the model.")


class BriefingIn(BaseModel):
    """A briefing on a topic (and/or filters), grouped into stories."""

    model_config = ConfigDict(extra="forbid")

    topic: str = Field("", max_length=500, description="What the briefing is about.")
    filters: FiltersIn | None = None
    max_stories: int = Field(5, ge=1, le=20)
    summary_sentences: int = Field(4, ge=1, le=10, description="Sentences in each story's summary.")
    extractive: bool = Field(False, description="Quote source sentences only; skip the model.")
    format: Literal["json", "md", "html"] = Field("json", description="json (default), md or html.")


async def _run(request: Request, use_model: bool, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``fn`` off the event loop. With the model, it queues through the gate like every generation: a
    full queue is refused (503) before any work, and a client that disconnects stops it."""
    from service.http.app import get_desk

    if not use_model:
        return await run_in_threadpool(fn, *args, **kwargs)
    worker = start(get_desk(request.app), lambda: iter((fn(*args, **kwargs),)))
    return cast(T, await last_event(request, worker))


@router.post("/summarize")
async def summarize(body: SummarizeIn, request: Request) -> dict[str, Any]:
    """A summary whose every sentence cites checked source sentences (answer shape, text in ``summary``)."""
    from service.http.app import get_desk
    from service.summarizing import summarizer_for

    summarizer = summarizer_for(get_desk(request.app))
    filters = body.filters.to_filters() if body.filters else None
    result = await _run(request, not body.extractive, summarizer.summarize, body.article_ids, body.query.strip(),
                        filters, body.max_sentences, extractive=body.extractive)
    return result.to_dict()


@router.post("/briefings", response_model=None)
async def briefings(body: BriefingIn, request: Request) -> dict[str, Any] | Response:
    """Stories on a topic, each with a cited summary, timeline, corrections and outlets."""
    from service.briefing import briefer_for
    from service.briefing_render import to_html, to_markdown
    from service.http.app import get_desk

    briefer = briefer_for(get_desk(request.app))
    filters = body.filters.to_filters() if body.filters else None
    result = await _run(request, not body.extractive, briefer.brief, body.topic.strip(), filters,
                        max_stories=body.max_stories, summary_sentences=body.summary_sentences,
                        extractive=body.extractive)
    data = result.to_dict()
    if body.format == "md":
        return PlainTextResponse(to_markdown(data), media_type="text/markdown; charset=utf-8")
    if body.format == "html":
        return HTMLResponse(to_html(data))
    return data
