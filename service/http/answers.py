"""Grounded answers over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from index.errors import InvalidRequest
from service.answering import AnswerResult
from service.http.metrics import record_answer
from service.http.schemas import AskIn
from service.http.worker import last_event, start

router = APIRouter(prefix="/v1", tags=["answers"])


@router.post("/ask")
async def ask(body: AskIn, request: Request) -> dict[str, Any]:
    """Answer a question from the indexed articles; every claim cites checked source sentences."""
    from service.http.app import get_desk

    desk = get_desk(request.app)
    question = body.question.strip()
    if not question:
        raise InvalidRequest("question is empty")
    if len(question) > desk.settings.max_question_chars:
        raise InvalidRequest(f"question is {len(question)} characters; the limit is {desk.settings.max_question_chars}")
    filters = body.filters.to_filters() if body.filters else None
    if filters is not None:
        filters.bounds()  # bad dates fail here as a 400, before any work
    # on a worker thread through the gate, like chat: a client that disconnects stops its generation
    worker = start(desk, lambda: desk.answerer.stream(question, filters, body.top_k))
    result = await last_event(request, worker)
    if not isinstance(result, AnswerResult):  # pragma: no cover - the answer stream always ends with a result
        raise RuntimeError("answer stream ended without a result")
    record_answer(request.app, result, "ask")
    return result.to_dict()
