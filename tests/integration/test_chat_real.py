"""The OpenAI-compatible chat with the real default model, embedder and Chroma, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.live_server import live_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(real_desk: Any) -> Iterator[openai.OpenAI]:
    from service.http.app import create_app

    app = create_app(real_desk.settings, generator=real_desk.generator, embedder=real_desk.embedder,
                     store=real_desk.store)
    with live_server(app, timeout=120) as base:
        yield openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=180)


def _check_citations(citations: list[dict[str, Any]], store: Any) -> None:
    for c in citations:
        article, _ = store.get(c["article_id"])
        assert article.text[c["start"]:c["end"]] == c["text"]


def test_streamed_and_whole_answers_agree_and_cite_sources(client: openai.OpenAI, real_desk: Any) -> None:
    messages = [{"role": "user", "content": "How many workers joined the Velmora port strike on its first day?"}]
    whole = client.chat.completions.create(model="newsdesk", messages=messages, temperature=0)
    content = whole.choices[0].message.content
    citations = whole.model_extra["citations"]
    assert citations and "Sources:" in content and "[1]" in content
    _check_citations(citations, real_desk.store)
    stream = client.chat.completions.create(model="newsdesk", messages=messages, temperature=0, stream=True)
    streamed = [c for c in stream]
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert text == content
    finals = [c for c in streamed if c.choices and c.choices[0].finish_reason == "stop"]
    assert len(finals) == 1 and finals[0].model_extra["citations"] == citations


def test_follow_up_question_is_answered_from_the_right_story(client: openai.OpenAI, real_desk: Any) -> None:
    messages = [
        {"role": "user", "content": "Why did dockworkers at the Port of Velmora go on strike?"},
        {"role": "assistant", "content": "They wanted a 9% pay rise over two years [1]."},
        {"role": "user", "content": "and what did the union say?"},
    ]
    reply = client.chat.completions.create(model="newsdesk", messages=messages, max_tokens=96)
    citations = reply.model_extra["citations"]
    assert citations, reply.choices[0].message.content
    _check_citations(citations, real_desk.store)
    strike = {"port", "dock", "velmora", "strike"}
    assert all(any(w in c["title"].lower() for w in strike) for c in citations)
