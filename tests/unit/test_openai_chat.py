"""OpenAI-compatible chat against a live uvicorn server, driven by the real `openai` client (fake model)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from service.settings import Settings
from service.testing import FunctionGenerator, HashEmbedder
from tests.live_server import echo_first_source, live_server

QUESTION = "How many workers joined the Velmora port strike on its first day?"


@pytest.fixture(scope="module")
def generator() -> FunctionGenerator:
    return FunctionGenerator(echo_first_source)


@pytest.fixture(scope="module")
def server(store: Any, generator: FunctionGenerator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from service.http.app import create_app

    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("data")))
    app = create_app(settings, generator=generator, embedder=HashEmbedder(), store=store)
    with live_server(app) as base:
        yield base


@pytest.fixture
def client(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server + "/v1", api_key="unused", max_retries=0, timeout=30)


def _ask(client: openai.OpenAI, **kwargs: Any) -> Any:
    kwargs.setdefault("messages", [{"role": "user", "content": QUESTION}])
    return client.chat.completions.create(model="newsdesk", **kwargs)


def test_models_list_names_the_served_model(client: openai.OpenAI) -> None:
    models = client.models.list()
    assert [m.id for m in models.data] == ["fake-function"]
    assert client.models.retrieve("fake-function").id == "fake-function"


def test_non_streamed_answer_cites_checked_sentences(client: openai.OpenAI, store: Any) -> None:
    response = _ask(client)
    content = response.choices[0].message.content
    assert response.choices[0].finish_reason == "stop"
    assert "2,100 workers joined the strike" in content and "[1]" in content
    _, sources = content.split("\n\nSources:\n")
    citations = response.model_extra["citations"]
    assert [c["id"] for c in citations] == [1]
    cited = citations[0]
    article, _ = store.get(cited["article_id"])
    assert article.text[cited["start"]:cited["end"]] == cited["text"]
    assert sources.startswith(f'[1] "{cited["text"]}" - {cited["title"]}') and cited["url"] in sources
    assert response.usage.prompt_tokens > 0 and response.usage.completion_tokens > 0


def test_streamed_text_equals_non_streamed_text(client: openai.OpenAI) -> None:
    whole = _ask(client)
    stream = _ask(client, stream=True, stream_options={"include_usage": True})
    deltas: list[str] = []
    finals: list[Any] = []
    usage = None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                deltas.append(choice.delta.content)
            if choice.finish_reason:
                finals.append(chunk)
    assert "".join(deltas) == whole.choices[0].message.content
    assert len(finals) == 1 and finals[0].choices[0].finish_reason == "stop"
    assert finals[0].model_extra["citations"] == whole.model_extra["citations"]
    assert usage is not None and usage.total_tokens == whole.usage.total_tokens


def test_sse_framing(server: str) -> None:
    body = {"model": "newsdesk", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": QUESTION}]}
    with httpx.stream("POST", server + "/v1/chat/completions", json=body, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = response.read().decode()
    events = [e for e in raw.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[len("data: "):]) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    finish = [i for i, c in enumerate(chunks) if c["choices"] and c["choices"][0]["finish_reason"]]
    assert finish == [len(chunks) - 2]  # then one usage chunk, then [DONE]
    assert "citations" in chunks[finish[0]] and sum("citations" in c for c in chunks) == 1
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] > 0
    contents = [c["choices"][0]["delta"].get("content") for c in chunks[1:finish[0]]]
    assert all(contents) and contents[-1].startswith("\n\nSources:")


def test_stream_without_usage_has_no_usage_chunk(server: str) -> None:
    body = {"model": "newsdesk", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    raw = httpx.post(server + "/v1/chat/completions", json=body, timeout=30).text
    chunks = [json.loads(e[6:]) for e in raw.split("\n\n") if e and e != "data: [DONE]"]
    assert all("usage" not in c for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_options_reach_the_model_and_unknown_fields_are_ignored(
    client: openai.OpenAI, generator: FunctionGenerator
) -> None:
    response = _ask(client, max_tokens=33, temperature=0.4, stop=["\n\n", "END"],
                    extra_body={"frequency_penalty": 0.5, "some_future_field": {"x": 1}})
    assert response.choices[0].message.content
    call = generator.history[-1]
    assert (call["max_tokens"], call["temperature"], call["stop"]) == (33, 0.4, ["\n\n", "END"])
    _ask(client, max_completion_tokens=21, stop="END")
    assert (generator.history[-1]["max_tokens"], generator.history[-1]["stop"]) == (21, ["END"])


def _articles_in_prompt(generator: FunctionGenerator, store: Any) -> set[str]:
    prompt = generator.history[-1]["messages"][-1]["content"]
    return {a for a, _, text in store.iter_current_sentences() if len(text) > 40 and text in prompt}


def test_follow_up_is_answered_from_the_story_of_the_conversation(
    client: openai.OpenAI, generator: FunctionGenerator, store: Any
) -> None:
    from index.search import Searcher
    from service.conversation import topic_filters

    first = "Tell me about the Velmora Maritime Museum reopening"
    follow_up = "What did the director say?"
    _ask(client, messages=[{"role": "user", "content": follow_up}])
    alone = _articles_in_prompt(generator, store)
    response = _ask(client, messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": first},
        {"role": "assistant", "content": "It reopened on Friday [1].\n\nSources:\n[1] \"...\""},
        {"role": "user", "content": follow_up},
    ])
    within = _articles_in_prompt(generator, store)
    story = topic_filters(Searcher(store, HashEmbedder()), "Velmora Maritime Museum reopening", None)
    assert story is not None and alone - set(story.article_ids)  # alone, the question strays
    assert within and within <= set(story.article_ids)
    assert "Museum" in response.model_extra["citations"][0]["title"]
    assert generator.history[-1]["messages"][-1]["content"].rstrip().endswith(follow_up)


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"messages": []}, 422, "messages"),
        ({"messages": [{"role": "user", "content": "hi"}], "temperature": 5}, 422, "temperature"),
        ({"messages": [{"role": "user", "content": "hi"}], "n": 3}, 422, "n"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, 422, None),
        ({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, 422, "max_tokens"),
        ({"messages": [{"role": "user", "content": "hi"}], "stop": ["a", "b", "c", "d", "e"]}, 400, None),
        ({"messages": [{"role": "system", "content": "be nice"}]}, 400, None),
        ({"messages": [{"role": "user", "content": "hi"}], "model": "gpt-4o"}, 404, "model"),
        ({"messages": [{"role": "user", "content": "hi"}], "filters": {"since": "yesterday-ish"}}, 400, None),
    ],
)
def test_bad_requests_get_openai_error_shape(server: str, body: dict[str, Any], status: int, param: str | None) -> None:
    response = httpx.post(server + "/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    if param:
        assert error["param"] is not None and error["param"].startswith(param)


def test_openai_client_raises_typed_errors(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        _ask(client, temperature=9)
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert caught.value.code == "model_not_found"


def test_text_parts_are_read(client: openai.OpenAI) -> None:
    response = _ask(client, messages=[{"role": "user", "content": [{"type": "text", "text": QUESTION}]}])
    assert "2,100" in response.choices[0].message.content


def test_null_options_are_defaults(server: str) -> None:
    body = {"model": None, "n": None, "max_tokens": None, "temperature": None, "stop": None, "stream": False,
            "stream_options": None, "user": "someone", "messages": [{"role": "user", "content": QUESTION}]}
    response = httpx.post(server + "/v1/chat/completions", json=body, timeout=30)
    assert response.status_code == 200, response.text
    assert "2,100" in response.json()["choices"][0]["message"]["content"]
