"""Errors in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from index.errors import ArticleNotFound, InvalidArticle, InvalidRequest, NewsdeskError
from service.answering import ContextTooLong
from service.gate import GenerationTimeout
from service.llm import ModelUnavailable

log = logging.getLogger(__name__)

STATUS: dict[type[NewsdeskError], int] = {
    ArticleNotFound: 404,
    InvalidArticle: 422,
    InvalidRequest: 400,
    ContextTooLong: 400,
    GenerationTimeout: 504,  # checked before its base class ModelUnavailable (by MRO)
    ModelUnavailable: 503,
}


def status_for(exc: NewsdeskError) -> int:
    """HTTP status for a NewsdeskError, by the first matching type in its MRO."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def error_body(message: str, type_: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_response(status: int, message: str, type_: str, code: str | None = None, param: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, type_, code, param), status_code=status, headers=headers)


def error_type(status: int) -> str:
    """The OpenAI error ``type`` for an HTTP status."""
    if status == 401:
        return "authentication_error"
    if status == 404:
        return "not_found_error"
    if status == 429 or status == 503:
        return "server_overloaded" if status == 503 else "rate_limit_error"
    if status == 504:
        return "timeout_error"
    return "invalid_request_error" if status < 500 else "server_error"


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the same shape."""

    @app.exception_handler(NewsdeskError)
    async def _newsdesk(_: Request, exc: NewsdeskError) -> JSONResponse:
        status = status_for(exc)
        headers = {"Retry-After": str(getattr(exc, "retry_after", 5))} if status == 503 else None
        return error_response(status, str(exc), error_type(status), exc.code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p != "body"]
        param = ".".join(loc) or None
        msg = f"{param}: {first.get('msg', 'invalid')}" if param else str(first.get("msg", "invalid request"))
        if len(errors) > 1:
            msg += f" (and {len(errors) - 1} more problem(s))"
        return error_response(422, msg, "invalid_request_error", "invalid_value", param)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), error_type(exc.status_code), None,
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error; the server log has details", "server_error", "internal_error")
