"""Schemathesis against the live app's OpenAPI schema (fake model): no request may cause a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from service.settings import Settings
from service.testing import FunctionGenerator, HashEmbedder
from tests.live_server import echo_first_source, live_server

ERROR_KEYS = {"message", "type", "param", "code"}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from index.articles import build_article
    from index.store import Store, open_client
    from service.http.app import create_app
    from tests.conftest import example_records

    store = Store(open_client("embedded", path=str(tmp_path_factory.mktemp("chroma"))), HashEmbedder())
    for record in example_records()[:6]:
        store.upsert(build_article(record))
    app = create_app(Settings(data_dir=Path(tmp_path_factory.mktemp("data")), max_body_bytes=200_000),
                     generator=FunctionGenerator(echo_first_source), embedder=HashEmbedder(), store=store)
    with live_server(app) as base:
        yield base


def _check(case: Any, label: str, failures: list[str]) -> None:
    response = case.call(timeout=30)
    where = f"{case.method} {case.formatted_path} ({label})"
    shaped = response.headers.get("content-type") == "application/json"
    if response.status_code >= 500:
        failures.append(f"{where}: {response.status_code} {response.text[:200]}")
    elif response.status_code >= 400 and shaped and set(response.json().get("error", {})) != ERROR_KEYS:
        failures.append(f"{where}: error not in OpenAI's shape: {response.text[:200]}")


def _runner(operation: Any, mode: GenerationMode, failures: list[str]) -> Any:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
    def run(case: Any) -> None:
        _check(case, mode.value, failures)

    return run


def test_no_server_errors(base_url: str) -> None:
    api_schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert any(op.path == "/v1/chat/completions" for op in operations)
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _runner(operation, mode, failures)()
            except Unsatisfiable:  # nothing to make invalid (an operation without inputs)
                assert mode is GenerationMode.NEGATIVE
    assert not failures, "\n".join(failures[:20])
