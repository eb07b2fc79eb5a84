"""Summaries and a briefing with the real default model, embedder and Chroma on the example corpus."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from service.briefing import briefer_for
from service.briefing_render import render
from service.summarizing import summarizer_for

pytestmark = pytest.mark.integration


def _exact(desk: Any, citations: list[Any]) -> None:
    for c in citations:
        article, _ = desk.store.get(c.article_id)
        assert article.text[c.start : c.end] == c.text


def test_real_summary_of_the_injected_notice_is_cited_and_clean(real_desk: Any) -> None:
    aid = next(m.id for m in real_desk.store.catalog.values() if m.title.startswith("Notice: Skarra Island"))
    result = summarizer_for(real_desk).summarize([aid], max_sentences=3)
    assert 1 <= len(result.claims) <= 3 and result.mode in ("generative", "mixed", "extractive")
    assert all(c.supported and c.citations for c in result.claims)
    assert "ALL CLEAR" not in result.summary and "cancelled" not in result.summary
    _exact(real_desk, result.citations)


def test_real_briefing_on_the_port_strike(real_desk: Any) -> None:
    result = briefer_for(real_desk).brief("Velmora port strike", max_stories=2)
    story = result.stories[0]
    titles = " | ".join(a["title"] for a in story.articles)
    for part in ("Dockworkers walk out", "Government names mediator", "talks narrow pay gap", "accept 6.2% deal"):
        assert part in titles
    assert "Brenmark central bank" not in titles and "Aldren" not in titles
    assert story.claims and all(c.supported and c.citations for c in story.claims)
    assert [n.kind for n in story.corrections] == ["correction"]
    note = story.corrections[0]
    quoted = [result.citations[i - 1].text for i in note.citations]
    assert any("1,200 dockworkers" in q for q in quoted) and any("2,100 workers" in q for q in quoted)
    days = [e.date for e in story.timeline]
    assert days == sorted(days) and days[0] == "2026-11-03"
    _exact(real_desk, result.citations)
    html = render(result.to_dict(), "html")
    ET.fromstring(html.split("\n", 1)[1])
    assert "[^1]:" in render(result.to_dict(), "md")
