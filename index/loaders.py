"""Read articles from files, folders, globs, RSS/Atom feeds and URLs into raw records.

Each loaded item is a ``Loaded(origin, record | None, error | None)`` so that one bad file,
line or feed entry is reported with its location while the rest of the batch goes on. Feed
entries carry ``fetch_url``: their page is fetched and extracted later, by ``complete``, so a
progress bar can count them.
"""

from __future__ import annotations

import calendar
import glob
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from index.fetch import Fetcher, FetchError

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
FEED_SUFFIXES = {".rss", ".atom", ".xml"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | FEED_SUFFIXES
MAX_FILE_BYTES = 50_000_000


@dataclass(frozen=True)
class Loaded:
    """One article-to-be: where it came from, and either its record or why it failed."""

    origin: str
    record: dict[str, Any] | None = None
    error: str | None = None
    fetch_url: str = ""  # the record still needs this page (a feed entry): see ``complete``


def expand(inputs: list[str]) -> Iterator[str | Path]:
    """Files named directly, files under folders (sorted), glob matches; URLs pass through."""
    for item in inputs:
        if item.startswith(("http://", "https://")):
            yield item
            continue
        path = Path(item)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        elif path.exists():
            yield path
        else:
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                yield path  # reported as missing by load_path
            yield from (Path(m) for m in matches if Path(m).is_file())


def decode(raw: bytes) -> str:
    """UTF-8 text of a file's bytes, or ValueError saying it is binary or another encoding."""
    if b"\x00" in raw[:8192]:
        raise ValueError("binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (invalid byte at offset {exc.start}); save it as UTF-8") from exc


def parse_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``---`` YAML front matter from a Markdown/text body."""
    if text.startswith("---"):
        parts = text.split("\n---", 1)
        if len(parts) == 2:
            try:
                meta = yaml.safe_load(parts[0][3:]) or {}
            except yaml.YAMLError:
                meta = _flat_front_matter(parts[0][3:])  # e.g. an unquoted title with a colon
            if isinstance(meta, dict):
                body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
                return {str(k): v for k, v in meta.items()}, body
    return {}, text


def _flat_front_matter(block: str) -> dict[str, Any]:
    """``key: value`` lines, split at the first colon; what YAML rejects but people write."""
    meta: dict[str, Any] = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().isidentifier():
            meta[key.strip()] = value.strip().strip("'\"")
    if not meta:
        raise ValueError("front matter is neither YAML nor 'key: value' lines")
    return meta


def _text_record(text: str) -> dict[str, Any]:
    meta, body = parse_front_matter(text)
    record = {k: meta[k] for k in ("id", "title", "url", "source", "published_at") if meta.get(k) is not None}
    if "published_at" not in record and meta.get("date") is not None:
        record["published_at"] = meta["date"]
    if "title" not in record:
        first, _, rest = body.strip().partition("\n")
        record["title"] = first.lstrip("# ").strip()
        body = rest
    record["text"] = body
    return record


def _jsonl_records(origin: str, text: str) -> Iterator[Loaded]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{origin}:{lineno}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Loaded(where, error=f"malformed JSON line: {exc.msg} (column {exc.colno})")
            continue
        yield Loaded(where, item) if isinstance(item, dict) else Loaded(where, error="line is not a JSON object")


def _json_records(origin: str, text: str) -> Iterator[Loaded]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Loaded(origin, error=f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
        return
    items = data.get("articles", [data]) if isinstance(data, dict) else data
    if not isinstance(items, list):
        yield Loaded(origin, error="expected an object, a list of objects or {'articles': [...]}")
        return
    for i, item in enumerate(items):
        where = f"{origin}[{i}]" if len(items) > 1 else origin
        yield Loaded(where, item) if isinstance(item, dict) else Loaded(where, error="item is not a JSON object")


def looks_like_feed(raw: bytes) -> bool:
    """Whether bytes start like an RSS, RDF or Atom document."""
    head = raw[:2048].lstrip().lower()
    if head.startswith(b"<?xml"):
        return any(tag in head for tag in (b"<rss", b"<feed", b"<rdf:rdf"))
    return head.startswith((b"<rss", b"<feed"))


def _iso(parsed: Any) -> str:
    if not parsed:
        return ""
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed_entries(origin: str, raw: bytes) -> Iterator[Loaded]:
    """One item per feed entry; each names the page to fetch (its link)."""
    import feedparser  # lazy: only feeds need it

    parsed = feedparser.parse(raw)
    if not parsed.get("version") and not parsed.entries:
        yield Loaded(origin, error="not an RSS or Atom feed (no channel or entries found)")
        return
    source = str(parsed.feed.get("title") or "")
    if not parsed.entries:
        yield Loaded(origin, error="the feed has no entries")
    for i, entry in enumerate(parsed.entries, 1):
        link = str(entry.get("link") or "")
        where = f"{origin} entry {i}" + (f" ({link})" if link else "")
        record = {"title": str(entry.get("title") or ""), "url": link, "source": source,
                  "published_at": _iso(entry.get("published_parsed") or entry.get("updated_parsed"))}
        if link.startswith(("http://", "https://")):
            yield Loaded(where, record, fetch_url=link)
        elif entry.get("content"):  # no page to fetch: the feed carries the article itself
            yield Loaded(where, {**record, "html": str(entry.content[0].get("value") or "")})
        else:
            yield Loaded(where, error="feed entry has no link to fetch and no content")


def load_bytes(origin: str, raw: bytes, *, name: str = "", url: str = "") -> Iterator[Loaded]:
    """Records in one file's bytes; ``name`` (its file name) picks the format by suffix."""
    suffix = Path(name or origin).suffix.lower()
    if suffix in FEED_SUFFIXES or looks_like_feed(raw):
        yield from feed_entries(origin, raw)
        return
    try:
        text = decode(raw)
    except ValueError as exc:
        yield Loaded(origin, error=str(exc))
        return
    if suffix in (".jsonl", ".ndjson"):
        yield from _jsonl_records(origin, text)
    elif suffix in JSON_SUFFIXES:
        yield from _json_records(origin, text)
    elif suffix in HTML_SUFFIXES or text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        yield Loaded(origin, {"html": text, **({"url": url} if url else {})})
    else:
        try:
            yield Loaded(origin, _text_record(text))
        except ValueError as exc:
            yield Loaded(origin, error=str(exc))


def load_path(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> Iterator[Loaded]:
    """Records in one local file."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            yield Loaded(str(path), error=f"file is {size:,} bytes, over the limit of {max_bytes:,}")
            return
        raw = path.read_bytes()
    except FileNotFoundError:
        yield Loaded(str(path), error="no such file or folder")
        return
    except OSError as exc:
        yield Loaded(str(path), error=f"cannot read it: {exc.strerror}")
        return
    yield from load_bytes(str(path), raw)


def load_url(url: str, fetcher: Fetcher) -> Iterator[Loaded]:
    """A bare article URL (fetched now) or a feed URL (entries fetched later)."""
    try:
        page = fetcher.fetch(url)
    except FetchError as exc:
        yield Loaded(url, error=str(exc))
        return
    if page.is_feed or looks_like_feed(page.body):
        yield from feed_entries(url, page.body)
    elif page.is_html:
        yield Loaded(url, {"html": page.text, "url": page.url})
    else:
        yield Loaded(url, error=f"not an article page or feed (content type {page.content_type or 'unknown'})")


def complete(item: Loaded, fetcher: Fetcher) -> Loaded:
    """Fetch a feed entry's page into its record (no-op for items that need nothing)."""
    if not item.fetch_url or item.record is None:
        return item
    try:
        page = fetcher.fetch(item.fetch_url)
    except FetchError as exc:
        return replace(item, record=None, error=str(exc), fetch_url="")
    if not page.is_html:
        return replace(item, record=None, fetch_url="",
                       error=f"the entry's link is not an HTML page (content type {page.content_type or 'unknown'})")
    return replace(item, record={**item.record, "html": page.text}, fetch_url="")


def load(inputs: list[str], *, fetcher: Fetcher | None = None, max_bytes: int = MAX_FILE_BYTES) -> Iterator[Loaded]:
    """Every record named by ``inputs`` (files, folders, globs, feed files, URLs)."""
    for item in expand(inputs):
        if isinstance(item, str):
            fetcher = fetcher or Fetcher()
            yield from load_url(item, fetcher)
        else:
            yield from load_path(item, max_bytes=max_bytes)
