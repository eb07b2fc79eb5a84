"""Article routes: ingest (JSON or multipart file upload), list, read, delete."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from index.errors import InvalidRequest
from index.filters import Filters, IngestResult
from index.loaders import Loaded, load_bytes
from service import ingestion
from service.http.schemas import ArticlesIn

router = APIRouter(prefix="/v1", tags=["articles"])

MAX_UPLOAD_FILES = 1000


def _desk(request: Request) -> Any:
    from service.http.app import get_desk

    return get_desk(request.app)


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its ``$defs`` inlined (OpenAPI resolves refs elsewhere)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.split("/")[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return dict(walk(schema))


_UPLOAD_SCHEMA = {
    "type": "object",
    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
    "required": ["files"],
}
_OPENAPI = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": _inline(ArticlesIn.model_json_schema())},
    "multipart/form-data": {"schema": _UPLOAD_SCHEMA},
}}}


def ingest_items(desk: Any, items: list[Loaded]) -> list[IngestResult]:
    """Ingest each item on its own; one bad item never blocks the others (errors name the item)."""
    out = []
    for origin, r in ingestion.run(items, ingestion.LocalSink(desk.store), max_chars=desk.settings.max_article_chars):
        out.append(r if r.status != "error" else IngestResult(r.id, "error", 0, f"{origin}: {r.error}"))
    return out


def ingest_records(desk: Any, records: list[dict[str, Any]]) -> list[IngestResult]:
    """Ingest raw article records (as in the JSON body)."""
    return ingest_items(desk, [Loaded(f"articles[{i}]", r) for i, r in enumerate(records)])


async def _json_items(request: Request) -> list[Loaded]:
    try:
        data = json.loads(await request.body())
    except ValueError as exc:
        raise InvalidRequest(f"the body is not valid JSON ({exc}); send {{'articles': [...]}} or upload files") from exc
    try:
        body = ArticlesIn.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
    return [Loaded(f"articles[{i}]", a.model_dump(exclude_none=True)) for i, a in enumerate(body.articles)]


async def _upload_items(request: Request) -> list[Loaded]:
    limit = request.app.state.settings.max_body_bytes
    form = await request.form(max_files=MAX_UPLOAD_FILES)
    items: list[Loaded] = []
    for _, value in form.multi_items():
        if isinstance(value, str):
            continue  # plain form fields carry no article
        name = value.filename or "upload"
        data = await value.read(limit + 1)
        if len(data) > limit:
            items.append(Loaded(name, error=f"file is over the limit of {limit:,} bytes"))
            continue
        for item in load_bytes(name, data):
            # the server fetches nothing on a client's behalf
            items.append(item if not item.fetch_url else Loaded(
                item.origin, error="feed entries are fetched by `newsdesk ingest FEED`, not by an upload"))
    await form.close()
    if not items:
        raise InvalidRequest("the upload holds no files; send them as multipart form field 'files'")
    return items


@router.post("/articles", openapi_extra=_OPENAPI)
async def post_articles(request: Request) -> dict[str, Any]:
    """Ingest articles: a JSON body ``{"articles": [...]}`` or uploaded files (multipart)."""
    desk = _desk(request)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        items = await _upload_items(request)
    else:
        items = await _json_items(request)
    results = await run_in_threadpool(ingest_items, desk, items)
    if any(r.status in ("created", "updated") for r in results):
        desk.warm_in_background()  # the new articles' words, before the questions about them
    return {"results": [_result(r) for r in results]}


def _result(r: IngestResult) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.id, "status": r.status, "sentences": r.sentences}
    if r.error:
        out["error"] = r.error
    return out


@router.get("/articles")
def list_articles(
    request: Request,
    source: list[str] = Query(default_factory=list, max_length=100, description="Only these outlets"),
    since: str = Query("", max_length=40, description="Published on/after (ISO 8601 date or datetime)"),
    until: str = Query("", max_length=40, description="Published on/before (a bare date covers the whole day)"),
    offset: int = Query(0, ge=0, description="Articles to skip"),
    limit: int = Query(50, ge=1, le=500, description="Articles per page"),
) -> dict[str, Any]:
    """Visible articles, newest first, with filters and paging."""
    desk = _desk(request)
    metas = desk.store.list_articles(Filters(sources=tuple(source), since=since, until=until))
    page = metas[offset : offset + limit]
    return {"total": len(metas), "offset": offset, "limit": limit,
            "articles": [{k: v for k, v in asdict(m).items() if k not in ("hash", "published_ts", "chunks")}
                         for m in page]}


@router.get("/articles/{article_id}")
def get_article(article_id: str, request: Request) -> dict[str, Any]:
    """One article with its text and sentence offsets."""
    article, sentences = _desk(request).store.get(article_id)
    return {
        "id": article.id, "title": article.title, "url": article.url, "source": article.source,
        "published_at": article.published_at, "text": article.text,
        "sentences": [{"index": s.index, "text": s.text, "start": s.start, "end": s.end} for s in sentences],
    }


@router.delete("/articles/{article_id}")
def delete_article(article_id: str, request: Request) -> dict[str, Any]:
    """Remove an article and every trace of it."""
    _desk(request).store.delete(article_id)
    return {"id": article_id, "deleted": True}
