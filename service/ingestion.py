"""The ingest pipeline behind ``newsdesk ingest``: load, build, then store locally or send to
the server that owns the data dir. Both ways give the same per-input results.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import httpx

from index.articles import Article, build_article
from index.errors import NewsdeskError
from index.fetch import Fetcher
from index.filters import IngestResult
from index.loaders import Loaded, complete
from index.store import Store

log = logging.getLogger(__name__)


class ServerUnreachable(NewsdeskError):
    """The server that owns the data dir does not answer."""

    code = "server_unreachable"


class Sink(Protocol):
    """Where built articles go."""

    def send(self, articles: Sequence[Article]) -> list[IngestResult]:
        """Store the articles; one result each, in order."""
        ...


class LocalSink:
    """This process owns the data dir: write to the store directly."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def send(self, articles: Sequence[Article]) -> list[IngestResult]:
        return self.store.upsert_many(articles)


class RemoteSink:
    """A newsdesk server owns the data dir: POST the articles to it in JSON batches."""

    def __init__(self, base_url: str, *, api_key: str = "", timeout_s: float = 300.0, ready_wait_s: float = 120.0,
                 client: Any = None) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)
        self.ready_wait_s = ready_wait_s

    def check(self, timeout_s: float = 1.0) -> None:
        """ServerUnreachable unless the server answers /healthz within ``timeout_s``."""
        try:
            self.client.get("/healthz", timeout=timeout_s).raise_for_status()
        except httpx.HTTPError as exc:
            raise ServerUnreachable(f"the newsdesk server at {self.base_url} does not answer ({exc})") from exc

    def send(self, articles: Sequence[Article]) -> list[IngestResult]:
        body = {"articles": [_as_json(a) for a in articles]}
        resp = self._post(body)
        if resp.status_code < 400:
            return [_result(r) for r in resp.json()["results"]]
        if len(articles) > 1:  # find the bad one: send each alone
            return [r for a in articles for r in self.send([a])]
        return [IngestResult(articles[0].id, "error", 0, f"server refused it: {_message(resp)}")]

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        deadline = time.monotonic() + self.ready_wait_s
        while True:
            try:
                resp = self.client.post("/v1/articles", json=body)
            except httpx.HTTPError as exc:
                raise ServerUnreachable(f"lost the newsdesk server at {self.base_url} ({exc})") from exc
            if resp.status_code != 503 or time.monotonic() > deadline:
                if resp.status_code >= 500:
                    raise ServerUnreachable(f"the server at {self.base_url} failed: {_message(resp)}")
                return resp
            log.info("server still loading; retrying")
            time.sleep(min(5.0, float(resp.headers.get("Retry-After", "2") or 2)))

    def close(self) -> None:
        self.client.close()


def _as_json(a: Article) -> dict[str, Any]:
    return {"id": a.id, "title": a.title, "text": a.text, "url": a.url, "source": a.source,
            "published_at": a.published_at}


def _result(r: dict[str, Any]) -> IngestResult:
    return IngestResult(str(r.get("id", "")), r.get("status", "error"), int(r.get("sentences", 0)), r.get("error"))


def _message(resp: httpx.Response) -> str:
    try:
        return str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {resp.status_code}"


def run(
    items: Iterable[Loaded], sink: Sink, *, max_chars: int, fetcher: Fetcher | None = None, batch_size: int = 32,
    advance: Callable[[int], None] = lambda n: None,
) -> list[tuple[str, IngestResult]]:
    """Ingest every item (origin, result) in order; a bad item never stops the others."""
    results: list[tuple[str, IngestResult]] = []
    group: list[Loaded] = []
    for item in items:
        group.append(item)
        if len(group) >= batch_size:
            results += _run_group(group, sink, max_chars, fetcher)
            advance(len(group))
            group = []
    if group:
        results += _run_group(group, sink, max_chars, fetcher)
        advance(len(group))
    return results


def _run_group(
    group: list[Loaded], sink: Sink, max_chars: int, fetcher: Fetcher | None
) -> list[tuple[str, IngestResult]]:
    out: list[tuple[str, IngestResult]] = []
    articles: list[Article] = []
    slots: list[int] = []
    for item in group:
        if item.fetch_url:
            item = complete(item, fetcher or Fetcher())
        if item.record is None:
            out.append((item.origin, IngestResult("", "error", 0, item.error)))
            continue
        try:
            articles.append(build_article(item.record, max_chars=max_chars))
        except NewsdeskError as exc:
            out.append((item.origin, IngestResult(str(item.record.get("id") or ""), "error", 0, str(exc))))
            continue
        slots.append(len(out))
        out.append((item.origin, IngestResult("", "error", 0, "not stored")))
    for slot, result in zip(slots, sink.send(articles) if articles else [], strict=True):
        out[slot] = (out[slot][0], result)
    return out
