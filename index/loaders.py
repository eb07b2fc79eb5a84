"""Read articles from files, folders and globs into raw records for ``build_article``.

Each loaded item is a ``Loaded(origin, record | None, error | None)`` so that one bad file or
line is reported with its location while the rest of the batch goes on.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES


@dataclass(frozen=True)
class Loaded:
    """One article-to-be: where it came from, and either its record or why it failed."""

    origin: str
    record: dict[str, Any] | None = None
    error: str | None = None


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


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:8192]:
        raise ValueError("binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from exc


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


def _json_records(path: Path, text: str) -> Iterator[Loaded]:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            origin = f"{path}:{lineno}"
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Loaded(origin, error=f"malformed JSON line: {exc.msg} (column {exc.colno})")
                continue
            yield Loaded(origin, item) if isinstance(item, dict) else Loaded(origin, error="line is not a JSON object")
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield Loaded(str(path), error=f"malformed JSON: {exc.msg} (line {exc.lineno})")
        return
    items = data.get("articles", [data]) if isinstance(data, dict) else data
    if not isinstance(items, list):
        yield Loaded(str(path), error="expected an object, a list of objects or {'articles': [...]}")
        return
    for i, item in enumerate(items):
        origin = f"{path}[{i}]" if len(items) > 1 else str(path)
        yield Loaded(origin, item) if isinstance(item, dict) else Loaded(origin, error="item is not a JSON object")


def load_path(path: Path) -> Iterator[Loaded]:
    """Records in one local file."""
    if not path.exists():
        yield Loaded(str(path), error="no such file or folder")
        return
    suffix = path.suffix.lower()
    try:
        text = _read_text(path)
    except (OSError, ValueError) as exc:
        yield Loaded(str(path), error=str(exc))
        return
    if suffix in JSON_SUFFIXES:
        yield from _json_records(path, text)
    elif suffix in HTML_SUFFIXES:
        yield Loaded(str(path), {"html": text})
    else:
        try:
            yield Loaded(str(path), _text_record(text))
        except ValueError as exc:
            yield Loaded(str(path), error=str(exc))


def load(inputs: list[str]) -> Iterator[Loaded]:
    """Every record named by ``inputs`` (files, folders, globs)."""
    for item in expand(inputs):
        if isinstance(item, str):
            yield Loaded(item, error="URL inputs need network support (not built yet)")
            continue
        yield from load_path(item)
