"""`newsdesk config` and clear CLI errors for bad settings."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from service.cli import app


def test_config_prints_effective_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_PORT", "8765")
    monkeypatch.setenv("NEWSDESK_API_KEY", "secret")
    result = CliRunner().invoke(app, ["config"], terminal_width=200)
    assert result.exit_code == 0
    assert "8765" in result.output
    assert "NEWSDESK_PORT" in result.output
    assert "secret" not in result.output


def test_bad_setting_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_N_CTX", "12")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 2
    assert "n_ctx" in result.output
    assert "Traceback" not in result.output


def test_missing_model_file_stops_serve_with_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEWSDESK_MODEL_PATH", str(tmp_path / "gone.gguf"))
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "NEWSDESK_MODEL_PATH" in result.output
