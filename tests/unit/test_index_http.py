"""Article routes with fakes: JSON and multipart ingest, listing filters and paging, read, delete;
and the CLI's remote path (RemoteSink) talking to the same app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.articles import build_article
from index.loaders import Loaded
from service import ingestion
from service.http.app import create_app
from service.settings import Settings
from service.testing import FunctionGenerator, HashEmbedder
from tests.conftest import EXAMPLES

ARTICLES = [
    {"id": "a", "title": "Strike", "text": "Dockworkers walked out. The port closed.", "source": "Wire",
     "published_at": "2026-11-03T08:00:00Z"},
    {"id": "b", "title": "Rates", "text": "The bank raised rates. Lenders followed.", "source": "Ledger",
     "published_at": "2026-11-05"},
    {"id": "c", "title": "Flood", "text": "The river burst its banks. Homes flooded.", "source": "Wire",
     "published_at": "2026-11-08T23:59:00Z"},
]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", max_article_chars=2000)
    app = create_app(settings, generator=FunctionGenerator(lambda m: ""), embedder=HashEmbedder(),
                     background_load=False)
    with TestClient(app) as c:
        yield c


def _post(client: TestClient, articles: list[dict[str, object]]) -> list[dict[str, object]]:
    resp = client.post("/v1/articles", json={"articles": articles})
    assert resp.status_code == 200, resp.text
    return resp.json()["results"]


def test_json_ingest_statuses(client: TestClient) -> None:
    assert [r["status"] for r in _post(client, ARTICLES)] == ["created"] * 3
    changed = {**ARTICLES[0], "text": "Dockworkers walked out. The port closed. Talks failed."}
    results = _post(client, [ARTICLES[1], changed])
    assert [(r["id"], r["status"], r["sentences"]) for r in results] == [("b", "unchanged", 2), ("a", "updated", 3)]


def test_bad_items_get_their_own_errors_and_nothing_stored_is_touched(client: TestClient) -> None:
    _post(client, ARTICLES[:1])
    before = client.get("/v1/articles/a").json()
    results = _post(client, [
        {"id": "a", "title": "x", "text": "   "},
        {"title": "no text"},
        {"id": "ok", "text": "Fine article. Two sentences."},
        {"id": "big", "text": "word " * 1000},
        {"id": "bad id!", "text": "Text."},
        {"id": "d", "text": "Text.", "published_at": "yesterday"},
        {"id": "h", "html": "<html><body><nav>Home</nav></body></html>"},
    ])
    assert [r["status"] for r in results] == ["error", "error", "created", "error", "error", "error", "error"]
    errors = [str(r.get("error", "")) for r in results]
    assert errors[0] == "articles[0]: the article text is empty"
    assert errors[1].startswith("articles[1]: the article has no 'text'")
    assert "over the limit of 2,000" in errors[3] and "not allowed" in errors[4] and "ISO 8601" in errors[5]
    assert "no article text" in errors[6]
    assert client.get("/v1/articles/a").json() == before
    assert client.get("/v1/articles").json()["total"] == 2


def test_malformed_bodies_are_4xx_in_the_error_shape(client: TestClient) -> None:
    for resp in (
        client.post("/v1/articles", content=b"{not json", headers={"content-type": "application/json"}),
        client.post("/v1/articles", json={"articles": []}),
        client.post("/v1/articles", json={"articles": [{"id": 3, "text": ["x"]}]}),
        client.post("/v1/articles", json=[1, 2]),
    ):
        assert 400 <= resp.status_code < 500, resp.text
        assert set(resp.json()["error"]) == {"message", "type", "param", "code"}


def test_multipart_upload_uses_the_file_loaders(client: TestClient) -> None:
    md = (EXAMPLES / "2026-11-03-port-strike-begins.md").read_bytes()
    jsonl = b'{"id": "j1", "text": "One line article."}\n{broken\n'
    files = [("files", ("strike.md", md, "text/markdown")), ("files", ("batch.jsonl", jsonl, "application/json")),
             ("files", ("image.txt", b"\x89PNG\x00\x00", "text/plain")),
             ("files", ("feed.rss", b"<rss version='2.0'><channel><title>F</title><item><title>t</title>"
                                    b"<link>http://127.0.0.1:9/x</link></item></channel></rss>", "text/xml"))]
    resp = client.post("/v1/articles", files=files)
    assert resp.status_code == 200, resp.text
    results = resp.json()["results"]
    assert [r["status"] for r in results] == ["created", "created", "error", "error", "error"]
    assert results[2]["error"].startswith("batch.jsonl:2: malformed JSON line")
    assert results[3]["error"] == "image.txt: binary file, not text"
    assert "fetched by `newsdesk ingest FEED`" in results[4]["error"]
    article = client.get(f"/v1/articles/{results[0]['id']}").json()
    assert article["source"] == "Meridian Wire" and article["title"].startswith("Dockworkers walk out")
    assert client.post("/v1/articles", files=[], data={"note": "x"}).status_code in (400, 422)


def test_list_filters_and_paging(client: TestClient) -> None:
    _post(client, ARTICLES)
    ids = lambda resp: [a["id"] for a in resp.json()["articles"]]  # noqa: E731
    assert ids(client.get("/v1/articles")) == ["c", "b", "a"]  # newest first
    assert ids(client.get("/v1/articles", params={"source": "Wire"})) == ["c", "a"]
    assert ids(client.get("/v1/articles", params=[("source", "Wire"), ("source", "Ledger")])) == ["c", "b", "a"]
    assert ids(client.get("/v1/articles", params={"since": "2026-11-04", "until": "2026-11-08"})) == ["c", "b"]
    page = client.get("/v1/articles", params={"offset": 1, "limit": 1}).json()
    assert (page["total"], page["offset"], page["limit"], [a["id"] for a in page["articles"]]) == (3, 1, 1, ["b"])
    assert set(page["articles"][0]) == {"id", "title", "url", "source", "published_at", "sentences"}
    bad = client.get("/v1/articles", params={"since": "soon"})
    assert bad.status_code == 400 and "bad date filter" in bad.json()["error"]["message"]
    assert client.get("/v1/articles", params={"limit": 0}).status_code == 422


def test_get_and_delete(client: TestClient) -> None:
    _post(client, ARTICLES)
    art = client.get("/v1/articles/a").json()
    assert all(art["text"][s["start"] : s["end"]] == s["text"] for s in art["sentences"])
    assert [s["index"] for s in art["sentences"]] == [0, 1]
    assert client.delete("/v1/articles/a").json() == {"id": "a", "deleted": True}
    missing = client.get("/v1/articles/a")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "article_not_found"
    assert client.delete("/v1/articles/a").status_code == 404


def test_remote_sink_sends_batches_and_maps_results(client: TestClient) -> None:
    """What `newsdesk ingest` does when a server owns the data dir, against the real routes."""
    sink = ingestion.RemoteSink(str(client.base_url), client=client)
    sink.check()
    items = [Loaded(f"in{i}", rec) for i, rec in enumerate(ARTICLES)]
    items.insert(1, Loaded("broken.jsonl:3", error="malformed JSON line"))
    items.append(Loaded("big.md", {"id": "x" * 100, "title": "T" * 2000, "text": "Long title."}))
    results = ingestion.run(items, sink, max_chars=1000, batch_size=2)
    assert [(o, r.status) for o, r in results] == [
        ("in0", "created"), ("broken.jsonl:3", "error"), ("in1", "created"), ("in2", "created"), ("big.md", "error")]
    assert "server refused it" in (results[-1][1].error or "")  # 422 from the server, isolated to its item
    again = ingestion.run(items[:1], sink, max_chars=1000)
    assert again[0][1].status == "unchanged"  # the same hash on both sides
    assert client.get("/v1/articles").json()["total"] == 3


def test_local_sink_results_match_remote_shape(fake_store) -> None:  # type: ignore[no-untyped-def]
    items = [Loaded("a.md", ARTICLES[0]), Loaded("b.md", {"text": ""})]
    results = ingestion.run(items, ingestion.LocalSink(fake_store), max_chars=1000)
    assert [(o, r.status) for o, r in results] == [("a.md", "created"), ("b.md", "error")]
    assert json.dumps(build_article(ARTICLES[0]).content_hash) == json.dumps(fake_store.catalog["a"].hash)


def test_pipelined_local_sink_keeps_order_and_statuses(fake_store) -> None:  # type: ignore[no-untyped-def]
    fake_store.upsert(build_article(ARTICLES[2]))
    v2 = {**ARTICLES[0], "text": "Dockworkers walked out. The port closed. Talks failed."}
    records = [ARTICLES[0], {"text": ""}, ARTICLES[1], ARTICLES[2], v2, ARTICLES[1], v2, ARTICLES[0]]
    items = [Loaded(f"in{i}", r) for i, r in enumerate(records)]
    sink = ingestion.LocalSink(fake_store, pipeline=True)
    try:
        results = ingestion.run(items, sink, max_chars=1000, batch_size=3)
    finally:
        sink.close()
    assert [(r.id, r.status) for _, r in results] == [
        ("a", "created"), ("", "error"), ("b", "created"), ("c", "unchanged"), ("a", "updated"), ("b", "unchanged"),
        ("a", "unchanged"), ("a", "updated")]
    assert [s.text for s in fake_store.sentences_of("a")] == ["Dockworkers walked out.", "The port closed."]
    assert fake_store.counts()["articles"] == 3 and fake_store.repair() == 0


def test_an_ingest_warms_the_answer_judge_with_the_new_words(client: TestClient) -> None:
    import time

    _post(client, ARTICLES)
    judge = client.app.state.desk.answerer.judge()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not {"dockworkers", "lenders", "flooded"} <= judge.vectors.keys() and time.monotonic() < deadline:
        time.sleep(0.05)  # the warm-up runs in the background, off the request path
    assert {"dockworkers", "lenders", "flooded"} <= judge.vectors.keys()
