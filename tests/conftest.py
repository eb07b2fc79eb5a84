"""Shared fixtures. The whole suite runs with outbound network blocked except loopback."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for _key in [k for k in os.environ if k.startswith("NEWSDESK_")]:
    del os.environ[_key]  # tests build their own settings

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "articles"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
BLOCKED: list[str] = []


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded(real):  # type: ignore[no-untyped-def]
    def connect(self, address):  # type: ignore[no-untyped-def]
        if not _is_local(address):
            BLOCKED.append(str(address))
            raise ConnectionRefusedError(
                f"test network guard: connection to {address!r} blocked (only loopback allowed)"
            )
        return real(self, address)

    return connect


def pytest_configure(config: pytest.Config) -> None:
    socket.socket.connect = _guarded(_real_connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded(_real_connect_ex)  # type: ignore[method-assign]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if BLOCKED:
        print(f"\nnetwork guard blocked {len(BLOCKED)} outbound connection(s): {sorted(set(BLOCKED))[:5]}")


# ---- fakes -------------------------------------------------------------------------------
@pytest.fixture
def hash_embedder():  # type: ignore[no-untyped-def]
    from service.testing import HashEmbedder

    return HashEmbedder()


@pytest.fixture
def fake_store(tmp_path: Path, hash_embedder):  # type: ignore[no-untyped-def]
    """A real embedded Chroma in a temp dir, with the deterministic hash embedder."""
    from index.store import Store, open_client

    return Store(open_client("embedded", path=str(tmp_path / "chroma")), hash_embedder)


def example_records() -> list[dict[str, object]]:
    """The bundled example articles as raw records."""
    from index.loaders import load

    records = []
    for item in load([str(EXAMPLES)]):
        assert item.record is not None, item.error
        records.append(item.record)
    return records


@pytest.fixture
def corpus_store(fake_store):  # type: ignore[no-untyped-def]
    """fake_store holding the example corpus."""
    from index.articles import build_article

    for record in example_records():
        fake_store.upsert(build_article(record))
    return fake_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The example corpus in a real embedded Chroma with the hash embedder, shared by a module."""
    from index.articles import build_article
    from index.store import Store, open_client
    from service.testing import HashEmbedder

    shared = Store(open_client("embedded", path=str(tmp_path_factory.mktemp("chroma"))), HashEmbedder())
    for record in example_records():
        shared.upsert(build_article(record))
    return shared


# ---- real components (integration) --------------------------------------------------------
@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from service.settings import Settings

    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def real_embedder(real_settings):  # type: ignore[no-untyped-def]
    from index.embedder import load_embedder

    return load_embedder(real_settings.embedder_path)


@pytest.fixture(scope="session")
def real_generator(real_settings):  # type: ignore[no-untyped-def]
    from service.llm import load_generator

    return load_generator(real_settings)


@pytest.fixture(scope="session")
def real_desk(real_settings, real_embedder, real_generator) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Real model, real embedder, real embedded Chroma with the example corpus ingested."""
    from index.articles import build_article
    from service.runtime import build

    desk = build(real_settings, generator=real_generator, embedder=real_embedder)
    for record in example_records():
        desk.store.upsert(build_article(record))
    yield desk
