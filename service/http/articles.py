"""Article routes: ingest (JSON), list, read, delete."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from index.articles import build_article
from index.errors import NewsdeskError
from index.store import Filters, IngestResult
from service.http.schemas import ArticlesIn

router = APIRouter(prefix="/v1", tags=["articles"])


def _desk(request: Request) -> Any:
    from service.http.app import get_desk

    return get_desk(request.app)


def ingest_records(desk: Any, records: list[dict[str, Any]]) -> list[IngestResult]:
    """Ingest each record on its own; one bad record never blocks the others."""
    results = []
    limit = desk.settings.max_article_chars
    for record in records:
        try:
            results.append(desk.store.upsert(build_article(record, max_chars=limit)))
        except NewsdeskError as exc:
            results.append(IngestResult(str(record.get("id") or ""), "error", 0, str(exc)))
    return results


@router.post("/articles")
async def post_articles(body: ArticlesIn, request: Request) -> dict[str, Any]:
    """Ingest articles given as JSON."""
    desk = _desk(request)
    records = [a.model_dump(exclude_none=True) for a in body.articles]
    results = await run_in_threadpool(ingest_records, desk, records)
    return {"results": [_result(r) for r in results]}


def _result(r: IngestResult) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.id, "status": r.status, "sentences": r.sentences}
    if r.error:
        out["error"] = r.error
    return out


@router.get("/articles")
def list_articles(
    request: Request,
    source: list[str] = Query(default_factory=list, max_length=100),
    since: str = Query("", max_length=40),
    until: str = Query("", max_length=40),
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=500),
) -> dict[str, Any]:
    """Visible articles, newest first, with filters and paging."""
    desk = _desk(request)
    metas = desk.store.list_articles(Filters(sources=tuple(source), since=since, until=until))
    page = metas[offset : offset + limit]
    return {"total": len(metas), "offset": offset, "limit": limit,
            "articles": [{k: v for k, v in asdict(m).items() if k not in ("hash", "published_ts")} for m in page]}


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
