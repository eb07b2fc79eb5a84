"""OpenAI-compatible surface: GET /v1/models, POST /v1/chat/completions (stream or not).

The reply is the grounded answer, streamed claim by claim: each content delta is one checked
claim with its ``[n]`` markers, so unsupported text never reaches a client. The content ends with
a "Sources" list (quoted sentence, title, url) and the response carries the structured
``citations`` (streaming: once, in the final chunk). The non-streaming response is built from the
same stream, so both give the same text for the same request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from index.errors import InvalidRequest, NewsdeskError
from index.store import Filters
from service.answering import AnswerResult, Citation, ClaimEvent
from service.conversation import Resolved, Turn, resolve, scope
from service.gate import Usage
from service.http.errors import error_body, error_type, status_for
from service.http.metrics import record_answer
from service.http.schemas import FiltersIn
from service.http.security import RequestTooLarge, StatusError
from service.http.worker import Worker, cancel_on_disconnect, start
from service.llm import model_id
from service.runtime import Newsdesk

log = logging.getLogger(__name__)

router = APIRouter(prefix="/v1", tags=["openai"])
ALIAS = "newsdesk"
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
StopWord = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ModelNotFound(StatusError):
    """The requested model id is not served here."""

    status = 404
    type_ = "not_found_error"
    code = "model_not_found"


# ---- request schema -------------------------------------------------------------------------
class ContentPart(BaseModel):
    """One part of a multi-part message; only text parts are read."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field(..., max_length=50)
    text: str | None = None


class ChatMessage(BaseModel):
    """A chat message as OpenAI clients send it (extra fields ignored)."""

    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False


class ChatCompletionIn(BaseModel):
    """POST /v1/chat/completions. Unknown fields are ignored; ``filters``/``top_k`` are newsdesk extras."""

    model_config = ConfigDict(extra="ignore")

    model: str | None = Field(None, max_length=200, description="A model id from GET /v1/models (or 'newsdesk').")
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(None, ge=1, le=4096)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    stop: StopWord | list[StopWord] | None = Field(None, description="Up to 4 stop sequences.")
    n: int | None = Field(None, ge=1, le=1, description="Only one choice is supported.")
    filters: FiltersIn | None = Field(None, description="newsdesk extra: which articles may be used.")
    top_k: int | None = Field(None, ge=1, le=50, description="newsdesk extra: evidence sentences to retrieve.")

    def stop_list(self) -> list[str] | None:
        """``stop`` as a list (OpenAI allows at most 4)."""
        if self.stop is None:
            return None
        stops = [self.stop] if isinstance(self.stop, str) else list(self.stop)
        if len(stops) > 4:
            raise InvalidRequest("stop: at most 4 stop sequences are allowed")
        return stops or None


# ---- helpers --------------------------------------------------------------------------------
def _desk(request: Request) -> Newsdesk:
    from service.http.app import get_desk

    return get_desk(request.app)


def _model_name(request: Request) -> str:
    desk = request.app.state.desk
    return model_id(desk.generator) if desk is not None else request.app.state.settings.model_id


def _check_model(request: Request, wanted: str | None) -> str:
    served = _model_name(request)
    if wanted and wanted not in (served, ALIAS, request.app.state.settings.model_id):
        raise ModelNotFound(f"model {wanted!r} is not served here; GET /v1/models lists {served!r} "
                            f"(or use {ALIAS!r})", "model")
    return served


def _question(body: ChatCompletionIn, desk: Newsdesk) -> Resolved:
    settings = desk.settings
    if len(body.messages) > settings.max_messages:
        raise RequestTooLarge(f"{len(body.messages)} messages; the limit is {settings.max_messages} "
                              "(NEWSDESK_MAX_MESSAGES): drop older turns", "messages")
    turns = [Turn(m.role, m.text()) for m in body.messages]
    users = [t.content.strip() for t in turns if t.role == "user" and t.content.strip()]
    if not users:
        raise InvalidRequest("messages: no user message with text; add one with your question")
    if len(users[-1]) > settings.max_question_chars:
        raise RequestTooLarge(f"the question is {len(users[-1])} characters; the limit is "
                              f"{settings.max_question_chars} (NEWSDESK_MAX_QUESTION_CHARS)", "messages")
    return resolve(turns)


def format_sources(citations: Sequence[Citation]) -> str:
    """The "Sources" list appended to the content: quoted sentence, title, url."""
    if not citations:
        return ""
    lines = ["", "", "Sources:"]
    for c in citations:
        where = ", ".join(x for x in (c.source, (c.published_at or "")[:10]) if x)
        title = f"{c.title} ({where})" if where else c.title
        lines.append(f"[{c.id}] \"{c.text}\" - {title}" + (f" {c.url}" if c.url else ""))
    return "\n".join(lines)


@dataclass
class _Final:
    result: AnswerResult
    usage: Usage


async def _content(worker: Worker) -> AsyncIterator[str | _Final]:
    """The one stream both response kinds are built from: text deltas, then the result."""
    emitted = False
    async for event in worker.events():
        if isinstance(event, ClaimEvent):
            yield event.text if not emitted else " " + event.text
            emitted = True
        elif isinstance(event, AnswerResult):
            if not emitted and event.answer:
                yield event.answer
            sources = format_sources(event.citations)
            if sources:
                yield sources
            yield _Final(event, worker.ticket.usage)


def _extras(result: AnswerResult) -> dict[str, Any]:
    return {
        "citations": [asdict(c) for c in result.citations],
        "newsdesk": {"abstained": result.abstained, "mode": result.mode, "timings": result.timings},
    }


class _Chunks:
    """chat.completion.chunk objects of one streamed response."""

    def __init__(self, model: str, include_usage: bool) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model
        self.include_usage = include_usage

    def make(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        chunk: dict[str, Any] = {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            chunk["usage"] = None
        chunk.update(extra)
        return _data(chunk)

    def usage(self, usage: Usage) -> str:
        return _data({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                      "model": self.model, "system_fingerprint": None, "choices": [], "usage": usage.as_openai()})


def _data(obj: Any) -> str:
    return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"


def _error_payload(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, NewsdeskError):
        status = exc.status if isinstance(exc, StatusError) else status_for(exc)
        return error_body(str(exc), error_type(status), exc.code)
    log.exception("chat stream failed", exc_info=exc)
    return error_body("internal error; the server log has details", "server_error", "internal_error")


async def _sse(request: Request, worker: Worker, chunks: _Chunks) -> AsyncIterator[str]:
    yield chunks.make({"role": "assistant", "content": ""})
    try:
        async for item in _content(worker):
            if isinstance(item, str):
                yield chunks.make({"content": item})
                continue
            yield chunks.make({}, item.result.finish_reason, **_extras(item.result))
            if chunks.include_usage:
                yield chunks.usage(item.usage)
            record_answer(request.app, item.result, "chat")
    except Exception as exc:  # headers are sent: report in-stream, as OpenAI does
        yield _data(_error_payload(exc))
    yield "data: [DONE]\n\n"


async def _complete(request: Request, worker: Worker, model: str) -> dict[str, Any]:
    watcher = asyncio.create_task(cancel_on_disconnect(request, worker.ticket))
    parts: list[str] = []
    final: _Final | None = None
    try:
        async for item in _content(worker):
            if isinstance(item, str):
                parts.append(item)
            else:
                final = item
    finally:
        watcher.cancel()
    if final is None:  # pragma: no cover - the answer stream always ends with a result
        raise RuntimeError("answer stream ended without a result")
    record_answer(request.app, final.result, "chat")
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": model, "system_fingerprint": None,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(parts), "refusal": None},
                     "logprobs": None, "finish_reason": final.result.finish_reason}],
        "usage": final.usage.as_openai(), **_extras(final.result),
    }


# ---- routes ---------------------------------------------------------------------------------
def _model_card(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "newsdesk"}


@router.get("/models")
async def list_models(request: Request) -> dict[str, Any]:
    """The model id(s) to use with /v1/chat/completions (answers at once, even mid-generation)."""
    return {"object": "list", "data": [_model_card(_model_name(request))]}


@router.get("/models/{model}")
async def get_model(model: str, request: Request) -> dict[str, Any]:
    """One model card."""
    return _model_card(_check_model(request, model))


@router.post("/chat/completions", response_model=None)
async def chat_completions(body: ChatCompletionIn, request: Request) -> JSONResponse | StreamingResponse:
    """Grounded, cited answer to the conversation's last question (OpenAI chat format, SSE when streamed)."""
    model = _check_model(request, body.model)
    desk = _desk(request)
    question = _question(body, desk)
    filters: Filters | None = body.filters.to_filters() if body.filters else None
    if filters is not None:
        filters.bounds()  # a bad date is a 400 now, not an error mid-stream
    max_tokens, stop = body.max_completion_tokens or body.max_tokens, body.stop_list()

    def answer() -> Iterator[ClaimEvent | AnswerResult]:  # runs on the worker thread
        scoped = filters
        if question.follow_up:  # answer the follow-up within the story the conversation is about
            scoped = scope(question, filters, desk.searcher, lambda q, f: desk.answerer.retrieve(q, f, body.top_k))
        yield from desk.answerer.stream(question.last, scoped, body.top_k, max_tokens=max_tokens,
                                        temperature=body.temperature, stop=stop)

    worker = start(desk, answer)  # a full queue is a 503 here, before any response starts
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(_sse(request, worker, _Chunks(model, include_usage)),
                                 media_type="text/event-stream", headers=SSE_HEADERS)
    return JSONResponse(await _complete(request, worker, model))
