"""Generator helpers and backends that need no model file or network."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from service.llm import (
    GENERATORS,
    LlamaCppGenerator,
    ModelUnavailable,
    OpenAICompatGenerator,
    context_size,
    count_tokens,
    load_generator,
    model_id,
)
from service.settings import Settings
from service.testing import ScriptedGenerator


class Bare:
    """A generator without tokenizer, context size or name."""

    def stream(self, messages, **options):  # type: ignore[no-untyped-def]
        yield "x"


def test_count_tokens_uses_the_generators_tokenizer() -> None:
    assert count_tokens(ScriptedGenerator(), "a" * 40) == 10
    assert count_tokens(Bare(), "a" * 40) == 10
    assert count_tokens(Bare(), "") == 1


def test_context_size_and_model_id_defaults() -> None:
    assert context_size(ScriptedGenerator(n_ctx=1024)) == 1024
    assert context_size(Bare()) == 4096
    assert model_id(ScriptedGenerator(model_id="m")) == "m"
    assert model_id(Bare()) == "unknown"


def test_registry_holds_both_backends() -> None:
    assert set(GENERATORS) == {"llama_cpp", "openai"}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_remote_backend_reports_unreachable_server() -> None:
    settings = Settings(llm_backend="openai", remote_base_url=f"http://127.0.0.1:{_closed_port()}/v1", remote_model="m")
    gen = load_generator(settings)
    assert isinstance(gen, OpenAICompatGenerator) and gen.model_id == "m"
    with pytest.raises(ModelUnavailable, match="NEWSDESK_REMOTE_BASE_URL"):
        list(gen.stream([{"role": "user", "content": "hi"}], max_tokens=4))


def test_remote_token_estimate_is_cautious() -> None:
    gen = OpenAICompatGenerator("http://127.0.0.1:1/v1")
    assert gen.count_tokens("a" * 300) > 300 // 4


def test_llama_backend_rejects_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="NEWSDESK_MODEL_PATH"):
        LlamaCppGenerator(str(tmp_path / "missing.gguf"))
