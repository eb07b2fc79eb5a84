"""Under load, against a live server: queue-full 503, disconnect cancels, timeouts, reads never wait."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from service.gate import Gate
from service.settings import Settings
from service.testing import HashEmbedder
from tests.live_server import echo_first_source, live_server, wait_until

QUESTION = "How many workers joined the Velmora port strike on its first day?"
MESSAGES = [{"role": "user", "content": QUESTION}]


class Controlled:
    """A fake model the test steers: answer at once, hold until released, or talk until stopped."""

    def __init__(self) -> None:
        self.mode = "answer"
        self.release = threading.Event()
        self.started = threading.Event()
        self.closed = threading.Event()
        self.model_id = "controlled"
        self.n_ctx = 4096

    def stream(self, messages: list[dict[str, str]], **options: Any) -> Iterator[str]:
        self.started.set()
        try:
            if self.mode == "block":
                self.release.wait(20)
            if self.mode == "endless":
                while True:
                    time.sleep(0.005)
                    yield "word "
            yield echo_first_source(messages)
        finally:
            self.closed.set()


def _serve(store: Any, model: Controlled, tmp_path: Path, **settings: Any) -> Any:
    from service.http.app import create_app

    app = create_app(Settings(data_dir=tmp_path, **settings), generator=model, embedder=HashEmbedder(), store=store)
    return app, live_server(app)


def _client(base: str, timeout: float = 15) -> openai.OpenAI:
    return openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0, timeout=timeout)


def _text(stream: Any) -> str:
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_full_queue_answers_503_at_once_and_reads_never_wait(store: Any, tmp_path: Path) -> None:
    model = Controlled()
    model.mode = "block"
    app, server = _serve(store, model, tmp_path, queue_size=1)
    with server as base:
        client = _client(base)
        gate: Gate = app.state.desk.generator
        first = client.chat.completions.create(model="newsdesk", messages=MESSAGES, stream=True)
        assert model.started.wait(10) and gate.busy
        queued: list[str] = []
        waiter = threading.Thread(target=lambda: queued.append(
            client.chat.completions.create(model="newsdesk", messages=MESSAGES).choices[0].message.content))
        waiter.start()
        assert wait_until(lambda: gate.waiting == 1)
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="newsdesk", messages=MESSAGES)
        response = caught.value.response
        assert response.status_code == 503 and int(response.headers["retry-after"]) > 0
        assert response.json()["error"]["code"] == "overloaded"
        # Every generation queues through the same gate: /v1/ask is refused too.
        ask = httpx.post(base + "/v1/ask", json={"question": QUESTION}, timeout=15)
        assert ask.status_code == 503 and ask.json()["error"]["code"] == "overloaded" and ask.headers["retry-after"]
        # While the model is busy, models, health and article reads answer.
        assert client.models.list().data[0].id == "controlled"
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200
        assert httpx.get(base + "/v1/articles", timeout=5).status_code == 200
        assert "overloaded" in httpx.get(base + "/metrics", timeout=5).text
        model.release.set()
        assert "2,100" in _text(first)
        waiter.join(15)
        assert queued and "2,100" in queued[0]
        assert wait_until(lambda: gate.depth == 0)


def test_disconnect_mid_stream_stops_the_generation(store: Any, tmp_path: Path) -> None:
    model = Controlled()
    model.mode = "endless"
    app, server = _serve(store, model, tmp_path, queue_size=0)
    with server as base:
        gate: Gate = app.state.desk.generator
        with httpx.stream("POST", base + "/v1/chat/completions", timeout=15,
                          json={"model": "newsdesk", "messages": MESSAGES, "stream": True}) as response:
            assert response.status_code == 200
            assert model.started.wait(10)
        assert wait_until(model.closed.is_set) and wait_until(lambda: not gate.busy and gate.depth == 0)
        assert gate.stats.generations["cancelled"] == 1
        model.mode = "answer"
        # With queue_size=0 this would be a 503 if the dead stream still held the model.
        answer = _client(base).chat.completions.create(model="newsdesk", messages=MESSAGES)
        assert "2,100" in answer.choices[0].message.content


@pytest.mark.parametrize(("path", "body"), [("/v1/chat/completions", {"model": "newsdesk", "messages": MESSAGES}),
                                            ("/v1/ask", {"question": QUESTION})])
def test_disconnect_while_waiting_for_a_non_streamed_answer_stops_it(store: Any, tmp_path: Path, path: str,
                                                                     body: dict[str, Any]) -> None:
    model = Controlled()
    model.mode = "endless"
    app, server = _serve(store, model, tmp_path, queue_size=0)
    with server as base:
        gate: Gate = app.state.desk.generator
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(base + path, json=body, timeout=1)
        assert wait_until(model.closed.is_set) and wait_until(lambda: gate.depth == 0 and not gate.busy)
        assert gate.stats.generations["cancelled"] == 1


def test_generation_timeout_is_a_clear_error(store: Any, tmp_path: Path) -> None:
    model = Controlled()
    model.mode = "endless"
    app, server = _serve(store, model, tmp_path, generation_timeout_s=0.3)
    with server as base:
        client = _client(base)
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(model="newsdesk", messages=MESSAGES)
        assert caught.value.status_code == 504
        assert caught.value.code == "generation_timeout" and "NEWSDESK_GENERATION_TIMEOUT_S" in caught.value.message
        stream = client.chat.completions.create(model="newsdesk", messages=MESSAGES, stream=True)
        with pytest.raises(openai.APIError) as in_stream:
            _text(stream)
        assert "NEWSDESK_GENERATION_TIMEOUT_S" in in_stream.value.message
        assert app.state.desk.generator.stats.generations["timeout"] == 2
