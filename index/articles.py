"""The Article record: validation, cleaning, ids and content hashes.

Reading files, feeds and URLs lives in ``index/loaders.py``; this module turns one raw record
(a dict with title/text or html/url/source/published_at/id) into a clean ``Article``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from index.errors import InvalidArticle
from index.sentences import normalize_text

_ID_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


@dataclass(frozen=True)
class Article:
    """A cleaned article. ``text`` is normalised; sentence offsets index into it."""

    id: str
    title: str
    text: str
    url: str = ""
    source: str = ""
    published_at: str = ""  # ISO 8601 in UTC ("2026-11-03T08:15:00Z") or "" when unknown
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def content_hash(self) -> str:
        """Hash of everything that is stored; equal hashes mean re-ingest is a no-op."""
        h = hashlib.sha256()
        for part in (self.title, self.text, self.url, self.source, self.published_at):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()[:16]

    @property
    def published_ts(self) -> int:
        """Seconds since the epoch of ``published_at`` (0 when unknown), for range filters."""
        return int(parse_datetime(self.published_at).timestamp()) if self.published_at else 0


def parse_datetime(value: str) -> datetime:
    """Parse an ISO 8601 date or datetime; naive values are taken as UTC."""
    raw = value.strip()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidArticle(f"date {value!r} is not ISO 8601 (e.g. 2026-11-03 or 2026-11-03T08:15:00Z)") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def normalize_datetime(value: Any) -> str:
    """Canonical ``YYYY-MM-DDTHH:MM:SSZ`` for any accepted date input ("" for empty)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return parse_datetime(str(value)).strftime("%Y-%m-%dT%H:%M:%SZ")


def derive_id(url: str, text: str) -> str:
    """Stable id for an article with no caller id: from its url, else from its text."""
    basis = url.strip() if url.strip() else normalize_text(text)
    prefix = "u" if url.strip() else "c"
    return prefix + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:15]


def _text_from_html(html: str) -> tuple[str, dict[str, str]]:
    import trafilatura  # lazy: heavy import

    # precision over recall, and no baseline fallback: a page of menus and footers is not an article
    extracted = trafilatura.bare_extraction(
        html, include_comments=False, with_metadata=True, favor_precision=True, fast=True
    )
    if extracted is None:
        return "", {}
    doc = extracted if isinstance(extracted, dict) else extracted.as_dict()
    meta = {k: str(doc.get(k) or "") for k in ("title", "url", "date", "sitename", "hostname")}
    return str(doc.get("text") or ""), meta


def build_article(record: dict[str, Any], *, max_chars: int = 200_000) -> Article:
    """Validate and clean one raw record into an Article, or raise InvalidArticle saying why."""
    if not isinstance(record, dict):
        raise InvalidArticle("an article must be a JSON object with at least 'text' or 'html'")
    text = record.get("text")
    meta: dict[str, str] = {}
    if text is None and record.get("html") is not None:
        html = str(record["html"])
        if len(html) > 20 * max_chars:
            raise InvalidArticle(f"the HTML has {len(html):,} characters, too large for an article "
                                 f"(limit {20 * max_chars:,}; see NEWSDESK_MAX_ARTICLE_CHARS)")
        text, meta = _text_from_html(html)
        if not text.strip():
            raise InvalidArticle("the HTML holds no article text (only boilerplate or nothing)")
    if text is None:
        raise InvalidArticle("the article has no 'text' (or 'html') field")
    if not isinstance(text, str):
        raise InvalidArticle("'text' must be a string")
    if "\x00" in text:
        raise InvalidArticle("the text contains NUL bytes: binary data, not an article")
    clean = normalize_text(text)
    if not clean:
        raise InvalidArticle("the article text is empty")
    if len(clean) > max_chars:
        raise InvalidArticle(
            f"the article has {len(clean):,} characters, over the limit of {max_chars:,} "
            "(NEWSDESK_MAX_ARTICLE_CHARS)"
        )
    title = normalize_text(str(record.get("title") or meta.get("title") or "")) or clean.split("\n", 1)[0][:120]
    url = str(record.get("url") or meta.get("url") or "").strip()
    source = str(record.get("source") or meta.get("sitename") or meta.get("hostname") or "").strip()
    published = normalize_datetime(record.get("published_at") or meta.get("date") or "")
    art_id = str(record.get("id") or "").strip() or derive_id(url, clean)
    if not _ID_OK.match(art_id):
        raise InvalidArticle(
            f"id {art_id!r} is not allowed: use 1-128 letters, digits, '.', '_', ':' or '-'"
        )
    return Article(id=art_id, title=title, text=clean, url=url, source=source, published_at=published)
