"""Text generation backends behind one Protocol: ``Generator.stream(messages) -> tokens``.

``llama_cpp`` runs a GGUF in-process (default: the packaged SmolLM2-135M-Instruct); ``openai``
talks to any remote OpenAI-compatible server (llama.cpp server, vLLM, Ollama).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from index.errors import NewsdeskError
from service.settings import Settings

log = logging.getLogger(__name__)

Messages = list[dict[str, str]]


class ModelUnavailable(NewsdeskError):
    """The model cannot be loaded or reached."""

    code = "model_unavailable"


@runtime_checkable
class Generator(Protocol):
    """Streams the assistant's reply to chat ``messages`` as text pieces."""

    def stream(self, messages: Messages, **options: Any) -> Iterator[str]:
        """Options: ``max_tokens``, ``temperature``, ``stop`` (list of strings); backends may honour more
        (llama.cpp: ``seed``, ``grammar``, ``response_format``) and must ignore the rest."""
        ...


def count_tokens(generator: Any, text: str) -> int:
    """Tokens of ``text`` by the generator's own tokenizer (4 chars/token if it has none)."""
    counter = getattr(generator, "count_tokens", None)
    if callable(counter):
        return int(counter(text))
    return max(1, len(text) // 4)


def context_size(generator: Any, default: int = 4096) -> int:
    """Context window of the generator in tokens."""
    return int(getattr(generator, "n_ctx", default) or default)


def model_id(generator: Any) -> str:
    """Name of the generator's model for responses."""
    return str(getattr(generator, "model_id", "unknown"))


class LlamaCppGenerator:
    """A GGUF model loaded in this process through llama-cpp-python."""

    def __init__(self, path: str, *, n_ctx: int = 4096, n_threads: int = 2, model_id: str = "") -> None:
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelUnavailable("llama-cpp-python is not installed: run `make install`") from exc
        log.info("loading GGUF %s (n_ctx=%d, threads=%d)", path, n_ctx, n_threads)
        try:
            self.llm = Llama(
                model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False,
            )
        except ValueError as exc:
            raise ModelUnavailable(f"cannot load model {path}: {exc}; check NEWSDESK_MODEL_PATH") from exc
        self.n_ctx = n_ctx
        self.model_id = model_id or Path(path).stem
        self._lock = threading.Lock()  # one llama context runs one generation at a time

    def stream(self, messages: Messages, **options: Any) -> Iterator[str]:
        extra = {k: options[k] for k in ("response_format", "grammar") if options.get(k) is not None}
        with self._lock:
            pieces: Any = self.llm.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                stream=True,
                max_tokens=int(options.get("max_tokens") or 256),
                temperature=float(options.get("temperature") or 0.0),
                stop=options.get("stop") or None,
                seed=int(options.get("seed", 0)),
                **extra,
            )
            try:
                for piece in pieces:
                    delta = piece["choices"][0].get("delta", {})
                    text = delta.get("content")
                    if text:
                        yield str(text)
            finally:
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()  # stops llama.cpp when the consumer goes away

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the GGUF's own tokenizer."""
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))


class OpenAICompatGenerator:
    """A remote OpenAI-compatible chat server."""

    def __init__(
        self, base_url: str, *, api_key: str = "", model: str = "", n_ctx: int = 4096, timeout: float = 120.0,
    ) -> None:
        from openai import OpenAI

        self.client = OpenAI(base_url=base_url, api_key=api_key or "none", timeout=timeout, max_retries=0)
        self.model = model or "default"
        self.model_id = self.model
        self.n_ctx = n_ctx

    def count_tokens(self, text: str) -> int:
        """A cautious estimate (3 characters per token): the server's tokenizer is not reachable here."""
        return max(1, len(text) // 3 + 1)

    def stream(self, messages: Messages, **options: Any) -> Iterator[str]:
        import openai

        try:
            response: Any = self.client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                stream=True,
                max_tokens=int(options.get("max_tokens") or 256),
                temperature=float(options.get("temperature") or 0.0),
                stop=options.get("stop") or None,
            )
        except openai.APIError as exc:
            raise ModelUnavailable(f"remote model server failed: {exc}; check NEWSDESK_REMOTE_BASE_URL") from exc
        try:
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        finally:
            response.close()


def _llama(settings: Settings) -> Generator:
    settings.check_model_file()
    return LlamaCppGenerator(
        settings.model_path, n_ctx=settings.n_ctx, n_threads=settings.n_threads, model_id=settings.model_id,
    )


def _remote(settings: Settings) -> Generator:
    return OpenAICompatGenerator(
        settings.remote_base_url, api_key=settings.remote_api_key, model=settings.remote_model,
        n_ctx=settings.n_ctx, timeout=settings.generation_timeout_s,
    )


GENERATORS: dict[str, Callable[[Settings], Generator]] = {"llama_cpp": _llama, "openai": _remote}


def load_generator(settings: Settings) -> Generator:
    """Build the configured backend from the registry."""
    return GENERATORS[settings.llm_backend](settings)
