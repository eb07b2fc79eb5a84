"""Fetching pages and feeds over HTTP(S) with limits: timeouts, size cap, redirects."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

USER_AGENT = "newsdesk/0.1 (+https://github.com/newsdesk)"


class FetchError(ValueError):
    """A page or feed could not be fetched; the message names the URL and why."""


@dataclass(frozen=True)
class Page:
    """A fetched document."""

    url: str  # after redirects
    content_type: str
    body: bytes
    encoding: str | None = None

    @property
    def is_html(self) -> bool:
        return "html" in self.content_type or (not self.content_type and b"<html" in self.body[:4096].lower())

    @property
    def is_feed(self) -> bool:
        return any(t in self.content_type for t in ("rss", "atom", "/xml", "+xml"))

    @property
    def text(self) -> str:
        """The body decoded with the server's charset (UTF-8 when it names none)."""
        return self.body.decode(self.encoding or "utf-8", errors="replace")


class Fetcher:
    """A small HTTP client: one connection pool, a timeout, a size cap."""

    def __init__(self, *, timeout_s: float = 15.0, max_bytes: int = 10_000_000, client: Any = None) -> None:
        self.max_bytes = max_bytes
        self.client = client or httpx.Client(
            timeout=timeout_s, follow_redirects=True, headers={"User-Agent": USER_AGENT}
        )

    def fetch(self, url: str) -> Page:
        """GET ``url``; FetchError on a network error, an HTTP error status or an oversized body."""
        log.info("fetching %s", url)
        try:
            with self.client.stream("GET", url) as resp:
                if resp.status_code >= 400:
                    raise FetchError(f"could not fetch {url}: HTTP {resp.status_code}")
                body = bytearray()
                for part in resp.iter_bytes():
                    body += part
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{url} is larger than {self.max_bytes:,} bytes")
                ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
                return Page(str(resp.url), ctype, bytes(body), resp.charset_encoding)
        except httpx.HTTPError as exc:
            raise FetchError(f"could not fetch {url}: {exc}") from exc

    def close(self) -> None:
        self.client.close()
