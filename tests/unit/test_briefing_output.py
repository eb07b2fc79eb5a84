"""Briefing output (Markdown footnotes, self-contained well-formed HTML, JSON), the HTTP routes
/v1/summarize and /v1/briefings, and the CLI's brief/summarize commands, all with fakes."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from index.articles import build_article
from index.store import Store, open_client
from service import datalock
from service.briefing_render import md_escape, render, safe_url
from service.cli import app as cli_app
from service.http.app import create_app
from service.settings import Settings
from service.testing import FunctionGenerator
from tests.conftest import example_records
from tests.live_server import live_server
from tests.unit.test_briefing import TopicEmbedder, briefer

_VOID = {"meta", "link", "br", "hr", "img", "input", "source", "wbr"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(open_client("embedded", path=str(tmp_path_factory.mktemp("chroma"))), TopicEmbedder())
    for record in example_records():
        store.upsert(build_article(record))
    hostile = {"id": "hostile", "title": "<script>alert(1)</script> *strike* [x](y)", "source": "Evil <b>Wire</b>",
               "url": "javascript:alert(1)", "published_at": "2026-11-11T10:00:00Z",
               "text": "Dockworkers at the Velmora port strike held a rally with a brass band on the quays. "
                       "The union said the port strike pay talks would go on, and the mediator agreed."}
    store.upsert(build_article(hostile))
    return store


@pytest.fixture(scope="module")
def briefing(store: Store) -> dict[str, Any]:
    return briefer(store).brief("Velmora port strike", extractive=True).to_dict()


# ---- Markdown --------------------------------------------------------------------------------
def test_markdown_footnotes_are_numbered_defined_and_quote_the_sentences(briefing: dict[str, Any]) -> None:
    md = render(briefing, "md")
    refs = {int(n) for n in re.findall(r"\[\^(\d+)\](?!:)", md)}
    defs = dict(re.findall(r"^\[\^(\d+)\]: (.+)$", md, re.MULTILINE))
    assert refs and refs == {int(n) for n in defs} == {c["id"] for c in briefing["citations"]}
    for c in briefing["citations"]:
        line = defs[str(c["id"])]
        assert md_escape(c["text"]) in line and md_escape(c["source"]) in line
        assert (f"]({c['url']})" in line) == bool(safe_url(c["url"]))
    assert md.startswith("# Briefing: Velmora port strike")
    assert "corrected a report of 2026-11-03: 2,100 workers, not 1,200 dockworkers" in md
    assert "<script>" not in md and "javascript:" not in md


# ---- HTML ------------------------------------------------------------------------------------
class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.links: list[tuple[str, str, dict[str, str | None]]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.links += [(tag, k, found) for k in ("src", "href", "srcset", "data") if found.get(k)]
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:  # "<meta ... />"
            return
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")


def test_html_is_well_formed_and_self_contained(briefing: dict[str, Any]) -> None:
    html = render(briefing, "html")
    ET.fromstring(html.split("\n", 1)[1])  # strict XML parse: every tag closed, every entity valid
    parser = _Collect()
    parser.feed(html)
    assert not parser.errors and not parser.stack
    article_urls = {a["url"] for s in briefing["stories"] for o in s["outlets"] for a in o["articles"]}
    for tag, attr, attrs in parser.links:  # nothing is loaded; the only outside links are the articles
        value = str(attrs[attr])
        assert tag == "a" and attr == "href", (tag, attr, value)
        assert value.startswith("#fn-") or value in article_urls
        assert not value.lower().startswith("javascript")
    assert not re.search(r"<(script|link|img|iframe|object)\b", html) and "@import" not in html and "url(" not in html
    assert "&lt;script&gt;" in html  # the hostile title is shown as text


def test_html_footnote_links_resolve_and_hover_shows_the_quote(briefing: dict[str, Any]) -> None:
    html = render(briefing, "html")
    parser = _Collect()
    parser.feed(html)
    refs = [attrs for tag, attr, attrs in parser.links if str(attrs["href"]).startswith("#fn-")]
    assert refs
    by_id = {c["id"]: c for c in briefing["citations"]}
    for attrs in refs:
        target = str(attrs["href"])[1:]
        assert target in parser.ids
        assert by_id[int(target[3:])]["text"] in str(attrs["title"])
    assert "@media print" in html


def test_json_has_the_full_structure(briefing: dict[str, Any]) -> None:
    data = json.loads(render(briefing, "json"))
    assert data == json.loads(json.dumps(briefing))
    story = data["stories"][0]
    assert {"headline", "summary", "claims", "citations", "timeline", "corrections", "outlets", "mode"} <= set(story)
    assert {"date", "text", "citations", "kind", "corrected"} <= set(story["timeline"][0])


# ---- HTTP ------------------------------------------------------------------------------------
@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path / "data"), generator=FunctionGenerator(lambda m: ""),
                     embedder=store.embedder, store=store, background_load=False)
    with TestClient(app) as c:
        yield c


def _error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body = resp.json()["error"]
    assert set(body) == {"message", "type", "param", "code"} and body["message"]
    return dict(body)


def test_summarize_route(client: TestClient, store: Store) -> None:
    aid = next(m.id for m in store.catalog.values() if m.title.startswith("Thousands evacuated"))
    resp = client.post("/v1/summarize", json={"article_ids": [aid], "max_sentences": 2})
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["mode"] == "extractive" and len(data["claims"]) == 2 and data["articles"][0]["id"] == aid
    text = store.get(aid)[0].text
    assert all(text[c["start"] : c["end"]] == c["text"] for c in data["citations"])
    assert _error(client.post("/v1/summarize", json={"article_ids": ["nope"]}), 404)["code"] == "article_not_found"
    assert _error(client.post("/v1/summarize", json={}), 400)["code"] == "invalid_request"
    _error(client.post("/v1/summarize", json={"query": "strike", "filters": {"since": "soon"}}), 400)
    _error(client.post("/v1/summarize", json={"article_ids": [aid], "max_sentences": 0}), 422)


def test_briefings_route_in_three_formats(client: TestClient) -> None:
    body = {"topic": "Velmora port strike", "max_stories": 2, "extractive": True}
    data = client.post("/v1/briefings", json=body).json()
    assert data["stories"] and data["citations"] and data["topic"] == "Velmora port strike"
    md = client.post("/v1/briefings", json={**body, "format": "md"})
    assert md.headers["content-type"].startswith("text/markdown") and "[^1]:" in md.text
    html = client.post("/v1/briefings", json={**body, "format": "html"})
    assert html.headers["content-type"].startswith("text/html") and html.text.startswith("<!DOCTYPE html>")
    late = {"topic": "strike", "filters": {"since": "2030-01-01"}}
    assert _error(client.post("/v1/briefings", json=late), 404)["code"] == "no_matching_articles"
    _error(client.post("/v1/briefings", json={}), 400)
    _error(client.post("/v1/briefings", json={"topic": "x", "format": "pdf"}), 422)


# ---- CLI -------------------------------------------------------------------------------------
def _flat(text: str) -> str:
    return " ".join(text.split())  # rich wraps long messages


def test_cli_rejects_bad_input_before_loading_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    bad_format = runner.invoke(cli_app, ["brief", "--topic", "strike", "--format", "pdf"])
    assert bad_format.exit_code == 2 and "md, html, json" in _flat(bad_format.output)
    bad_date = runner.invoke(cli_app, ["brief", "--topic", "strike", "--since", "2026-02-30"])
    assert bad_date.exit_code == 1 and "ISO 8601" in _flat(bad_date.output)
    nothing = runner.invoke(cli_app, ["summarize"])
    assert nothing.exit_code == 2 and "ARTICLE_ID" in _flat(nothing.output)


def test_cli_says_clearly_when_another_process_owns_the_data_dir(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    lock = datalock.acquire(tmp_path, role="ingest")
    try:
        result = runner.invoke(cli_app, ["brief", "--topic", "strike"])
        assert result.exit_code == 1 and "in use by a newsdesk ingest" in _flat(result.output)
    finally:
        lock.release()
    lock = datalock.acquire(tmp_path, role="server", host="127.0.0.1", port=9)  # nothing listens on port 9
    try:
        result = runner.invoke(cli_app, ["summarize", "some-id"])
        assert result.exit_code == 1 and "did not answer" in _flat(result.output)
        assert "Traceback" not in result.output
    finally:
        lock.release()


def test_cli_sends_the_request_to_the_server_that_owns_the_data_dir(store: Store, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "owned"
    monkeypatch.setenv("NEWSDESK_DATA_DIR", str(data_dir))
    app = create_app(Settings(data_dir=data_dir), generator=FunctionGenerator(lambda m: ""),
                     embedder=store.embedder, store=store)
    out = tmp_path / "brief.html"
    with live_server(app) as base:
        port = int(base.rsplit(":", 1)[1])
        lock = datalock.acquire(data_dir, role="server", host="127.0.0.1", port=port)
        try:
            runner = CliRunner()
            result = runner.invoke(cli_app, ["brief", "--topic", "Velmora port strike", "--format", "html",
                                             "--out", str(out), "--extractive"])
            assert result.exit_code == 0, result.output
            missing = runner.invoke(cli_app, ["summarize", "no-such-id"])
            assert missing.exit_code == 1 and "no article with id 'no-such-id'" in _flat(missing.output)
        finally:
            lock.release()
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Velmora dockworkers accept" in page
