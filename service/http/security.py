"""Guards in front of every route: optional API key on /v1, request body size limit.

Both are plain ASGI middleware so they cover routers added by anyone, answer in OpenAI's error
shape, and leave streaming (and the disconnect messages it listens for) untouched.
"""

from __future__ import annotations

import json
import secrets

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.errors import NewsdeskError
from service.http.errors import error_body, error_response
from service.settings import Settings

PROTECTED_PREFIX = "/v1"


class StatusError(NewsdeskError):
    """A caller error with its own HTTP status (the generic NewsdeskError mapping gives 400)."""

    status = 400
    type_ = "invalid_request_error"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class RequestTooLarge(StatusError):
    """A request exceeds a size limit (messages count, question length): HTTP 413."""

    status = 413
    code = "request_too_large"


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body past the limit; an HTTPException so FastAPI passes it through."""

    def __init__(self, message: str) -> None:
        super().__init__(413, message)


async def _send_error(send: Send, status: int, message: str, type_: str, code: str,
                      headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(message, type_, code)).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class ApiKeyMiddleware:
    """Every /v1 route needs ``Authorization: Bearer <key>``; health, docs and /metrics stay open."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == PROTECTED_PREFIX or path.startswith(PROTECTED_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        if secrets.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        message = ("missing API key: send `Authorization: Bearer <key>` (the server sets NEWSDESK_API_KEY)"
                   if not given else "invalid API key in the Authorization header")
        await _send_error(send, 401, message, "authentication_error", "invalid_api_key",
                          {"WWW-Authenticate": "Bearer"})


class BodyLimitMiddleware:
    """Refuse bodies over ``limit`` bytes with 413, by Content-Length or while reading a chunked body."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _message(self) -> str:
        return f"request body is larger than {self.limit} bytes (NEWSDESK_MAX_BODY_BYTES); send less per request"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _send_error(send, 413, self._message(), "invalid_request_error", "request_too_large")
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self._message())
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:  # raised outside a route (no handler turned it into a response)
                await _send_error(send, 413, self._message(), "invalid_request_error", "request_too_large")


def install(app: FastAPI, settings: Settings) -> None:
    """Add the guards configured in ``settings`` (call before CORS, which must stay outermost)."""

    @app.exception_handler(StatusError)
    async def _status(_: Request, exc: StatusError) -> JSONResponse:
        return error_response(exc.status, str(exc), exc.type_, exc.code, exc.param)

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return error_response(413, str(exc.detail), "invalid_request_error", "request_too_large")

    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes)
    if settings.api_key:
        app.add_middleware(ApiKeyMiddleware, api_key=settings.api_key)

