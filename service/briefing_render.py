"""Briefings as Markdown (numbered footnotes), self-contained HTML, or JSON.

Renderers take the briefing's JSON form (``BriefingResult.to_dict()``), so a briefing fetched
from a server renders the same as one built in process. Templates live in
``service/templates/``. Only http(s) article URLs become links; nothing else is loaded from
anywhere (no scripts, fonts, images or style sheets), so the HTML page works offline and prints.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup, escape

Format = Literal["md", "html", "json"]
FORMATS: tuple[Format, ...] = ("md", "html", "json")
TEMPLATES = Path(__file__).resolve().parent / "templates"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


def safe_url(url: str) -> str:
    """``url`` if it is a plain http(s) URL, else "" (no javascript:, data: or relative links)."""
    return url if _SAFE_URL.match(url or "") else ""


def md_escape(text: str) -> str:
    """Text that Markdown shows literally (no accidental emphasis, links or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def md_url(url: str) -> str:
    """A URL safe inside Markdown link parentheses."""
    return safe_url(url).replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def with_marks(text: str, ids: list[int], mark: str) -> str:
    """``text`` with citation marks before its final punctuation: 'X happened[^1].'"""
    marks = "".join(mark.format(i) for i in ids)
    if text and text[-1] in ".!?":
        return f"{text[:-1]}{marks}{text[-1]}"
    return f"{text}{marks}"


def md_cited(text: str, ids: list[int]) -> str:
    """Escaped text with Markdown footnote references."""
    return with_marks(md_escape(text), ids, "[^{}]")


def html_cited(text: str, ids: list[int], citations: dict[int, dict[str, Any]]) -> Markup:
    """Escaped text with footnote links whose title shows the quoted sentence on hover."""
    marks = "".join(_html_ref(i, citations.get(i, {})) for i in ids)
    body = str(escape(text))
    if body and body[-1] in ".!?":
        return Markup(f"{body[:-1]}{marks}{body[-1]}")
    return Markup(f"{body}{marks}")


def _html_ref(cid: int, c: dict[str, Any]) -> str:
    hover = f"\u201c{c.get('text', '')}\u201d \u2014 {c.get('source', '')}, {str(c.get('published_at', ''))[:10]}"
    return f'<sup class="ref"><a href="#fn-{cid}" title="{escape(hover)}">[{cid}]</a></sup>'


@functools.lru_cache(maxsize=2)
def _env(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_escape, md_url=md_url, safe_url=safe_url, day=lambda v: str(v or "")[:10])
    env.globals.update(md_cited=md_cited, html_cited=html_cited)
    return env


def _context(briefing: dict[str, Any]) -> dict[str, Any]:
    citations = {int(c["id"]): c for c in briefing.get("citations", [])}
    return {"b": briefing, "citations": citations, "article_count": briefing.get("stats", {}).get("articles", 0)}


def to_markdown(briefing: dict[str, Any]) -> str:
    """Markdown with numbered footnotes quoting each cited sentence and linking its article."""
    return _env(False).get_template("briefing.md.j2").render(**_context(briefing))


def to_html(briefing: dict[str, Any]) -> str:
    """One self-contained, printable HTML page (inline CSS, footnotes with hover quotes)."""
    return _env(True).get_template("briefing.html.j2").render(**_context(briefing))


def to_json(briefing: dict[str, Any]) -> str:
    """The full structure as indented JSON."""
    return json.dumps(briefing, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"md": to_markdown, "html": to_html, "json": to_json}


def render(briefing: dict[str, Any], fmt: Format) -> str:
    """The briefing in ``fmt`` (md, html or json)."""
    return RENDERERS[fmt](briefing)
