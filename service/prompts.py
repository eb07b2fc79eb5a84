"""Prompt files: ``prompts/<name>.md`` with ``[system]`` and ``[user]`` sections (Jinja2).

A missing variable fails loudly (StrictUndefined). Prompts hold no model-specific tokens; the
GGUF's chat template formats the messages.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import jinja2

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_SECTION = re.compile(r"^\[(system|user|assistant)\]\s*$", re.MULTILINE)
_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=False)


@functools.lru_cache(maxsize=32)
def _load(name: str) -> tuple[tuple[str, jinja2.Template], ...]:
    path = PROMPTS_DIR / f"{name}.md"
    if not path.is_file():
        raise FileNotFoundError(f"prompt {name!r} not found at {path}")
    raw = path.read_text(encoding="utf-8")
    parts = _SECTION.split(raw)
    sections = []
    for role, body in zip(parts[1::2], parts[2::2], strict=True):
        sections.append((role, _ENV.from_string(body.strip())))
    if not sections:
        raise ValueError(f"prompt {path} has no [system]/[user] sections")
    return tuple(sections)


def render(name: str, **variables: Any) -> list[dict[str, str]]:
    """Chat messages of prompt ``name`` filled with ``variables``."""
    return [{"role": role, "content": tpl.render(**variables)} for role, tpl in _load(name)]
