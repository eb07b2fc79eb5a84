"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 once model, embedder and index are loaded; 503 before (or after a failed load)."""
    desk = request.app.state.desk
    if desk is None:
        reason = request.app.state.load_error or "loading model and index"
        return JSONResponse(
            {"status": "loading" if not request.app.state.load_error else "failed", "detail": reason}, status_code=503
        )
    return JSONResponse({"status": "ready", "model": desk.settings.model_id, "articles": len(desk.store.catalog)})
