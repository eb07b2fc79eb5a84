from pathlib import Path

import pytest

from service.settings import ConfigError, Settings


def test_env_prefix_sets_fields(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSDESK_PORT", "8765")
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path))
    s = Settings()
    assert s.port == 8765
    assert s.data_dir == tmp_path


def test_bounds_are_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_PORT", "70000")
    with pytest.raises(ValueError, match="port"):
        Settings()


def test_default_models_come_from_packages() -> None:
    s = Settings()
    assert s.model_path.endswith(".gguf") and Path(s.model_path).is_file()
    assert Path(s.embedder_path, "config.json").is_file()
    assert s.model_id == "SmolLM2-135M-Instruct.Q4_1"


def test_missing_model_file_is_one_clear_line(tmp_path: Path) -> None:
    s = Settings(model_path=str(tmp_path / "nope.gguf"))
    with pytest.raises(ConfigError) as info:
        s.check_model_file()
    assert "NEWSDESK_MODEL_PATH" in str(info.value) and "\n" not in str(info.value)


def test_non_gguf_model_file_is_rejected(tmp_path: Path) -> None:
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="not a GGUF"):
        Settings(model_path=str(bad)).check_model_file()


def test_every_field_is_described() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name
