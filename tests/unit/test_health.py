"""Health, readiness and the app factory with fakes."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from service.http.app import create_app
from service.settings import Settings
from service.testing import FunctionGenerator, HashEmbedder


def test_readyz_is_503_until_loaded_then_200(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    app = create_app(
        settings, generator=FunctionGenerator(lambda m: ""), embedder=HashEmbedder(), background_load=False
    )
    assert TestClient(app).get("/readyz").status_code == 503  # lifespan not started: nothing loaded
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"


def test_failed_load_is_reported_not_hidden(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, model_path=str(tmp_path / "missing.gguf"))
    app = create_app(settings, embedder=HashEmbedder(), background_load=False)
    with TestClient(app) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "NEWSDESK_MODEL_PATH" in ready.json()["detail"]
        ask = client.post("/v1/ask", json={"question": "anything"})
        assert ask.status_code == 503
        assert ask.json()["error"]["code"] == "model_unavailable"
