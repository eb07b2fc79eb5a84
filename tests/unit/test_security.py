"""API key, size limits, CORS and /metrics (live server and the real `openai` client)."""

from __future__ import annotations

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
KEY = "s3cret-key"


@pytest.fixture(scope="module")
def server(store: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """API key set, small limits, CORS for one origin."""
    from service.http.app import create_app

    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("data")), api_key=KEY, max_body_bytes=4096,
                        max_messages=4, max_question_chars=200, cors_origins=["http://ui.example"])
    app = create_app(settings, generator=FunctionGenerator(echo_first_source), embedder=HashEmbedder(), store=store)
    with live_server(app) as base:
        yield base


def _auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    return error


def test_v1_routes_need_the_key(server: str) -> None:
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server + "/v1", api_key="wrong", max_retries=0).models.list()
    good = openai.OpenAI(base_url=server + "/v1", api_key=KEY, max_retries=0, timeout=15)
    assert good.models.list().data
    reply = good.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": QUESTION}])
    assert "2,100" in reply.choices[0].message.content
    missing = httpx.get(server + "/v1/articles", timeout=5)
    assert _error(missing, 401)["type"] == "authentication_error"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert httpx.get(server + "/v1/articles", headers=_auth(), timeout=5).status_code == 200
    assert _error(httpx.post(server + "/v1/ask", json={"question": "x"}, timeout=5), 401)["code"] == "invalid_api_key"


def test_health_and_metrics_stay_open(server: str) -> None:
    assert httpx.get(server + "/healthz", timeout=5).status_code == 200
    assert httpx.get(server + "/readyz", timeout=5).status_code == 200
    assert httpx.get(server + "/metrics", timeout=5).status_code == 200


def test_body_over_the_limit_is_413(server: str) -> None:
    big = {"model": "newsdesk", "messages": [{"role": "user", "content": "x" * 5000}]}
    error = _error(httpx.post(server + "/v1/chat/completions", json=big, headers=_auth(), timeout=5), 413)
    assert "NEWSDESK_MAX_BODY_BYTES" in error["message"]

    def chunked() -> Iterator[bytes]:  # no Content-Length: counted while reading
        yield b'{"model": "newsdesk", "messages": [{"role": "user", "content": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}]}'

    response = httpx.post(server + "/v1/chat/completions", content=chunked(),
                          headers={**_auth(), "content-type": "application/json"}, timeout=5)
    assert _error(response, 413)["code"] == "request_too_large"


def test_too_many_messages_or_too_long_question_is_413(server: str) -> None:
    many = [{"role": "user", "content": "hi"}] * 5
    url = server + "/v1/chat/completions"
    error = _error(httpx.post(url, json={"messages": many}, headers=_auth(), timeout=5), 413)
    assert error["param"] == "messages" and "NEWSDESK_MAX_MESSAGES" in error["message"]
    long = [{"role": "user", "content": "why " * 60}]
    error = _error(httpx.post(url, json={"messages": long}, headers=_auth(), timeout=5), 413)
    assert "NEWSDESK_MAX_QUESTION_CHARS" in error["message"]


def test_cors_for_the_configured_origin_only(server: str) -> None:
    ok = httpx.get(server + "/v1/models", headers={**_auth(), "Origin": "http://ui.example"}, timeout=5)
    assert ok.headers["access-control-allow-origin"] == "http://ui.example"
    other = httpx.get(server + "/v1/models", headers={**_auth(), "Origin": "http://evil.example"}, timeout=5)
    assert "access-control-allow-origin" not in other.headers
    preflight = httpx.options(server + "/v1/chat/completions", timeout=5, headers={
        "Origin": "http://ui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 200  # answered without the key, as browsers send preflights


def test_cors_is_off_by_default(tmp_path: Path, store: Any) -> None:
    from fastapi.testclient import TestClient

    from service.http.app import create_app

    app = create_app(Settings(data_dir=tmp_path), generator=FunctionGenerator(echo_first_source),
                     embedder=HashEmbedder(), store=store, background_load=False)
    with TestClient(app) as client:
        response = client.get("/v1/models", headers={"Origin": "http://ui.example"})
        assert response.status_code == 200 and "access-control-allow-origin" not in response.headers
        assert client.get("/v1/models").status_code == 200  # no key configured: open


def test_metrics_count_routes_queue_and_citations(server: str) -> None:
    client = openai.OpenAI(base_url=server + "/v1", api_key=KEY, max_retries=0, timeout=15)
    client.chat.completions.create(model="newsdesk", messages=[{"role": "user", "content": QUESTION}])
    text = httpx.get(server + "/metrics", timeout=5).text
    for name in ("newsdesk_queue_depth", "newsdesk_generation_running", "newsdesk_tokens_per_second",
                 'newsdesk_tokens_total{kind="completion"}', 'newsdesk_generations_total{outcome="ok"}',
                 'newsdesk_answers_total{mode="generative",route="chat"}', "newsdesk_overloaded_total"):
        assert name in text, name
    assert 'http_requests_total{handler="/v1/chat/completions",method="POST",status="200"}' in text
    assert 'handler="/v1/chat/completions"' in text and "http_request_duration_seconds_bucket" in text
