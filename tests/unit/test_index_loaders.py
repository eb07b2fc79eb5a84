"""Loaders: files, folders, JSON/JSONL, HTML, feeds and URLs (a local HTTP server only)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.articles import build_article
from index.errors import InvalidArticle
from index.fetch import Fetcher
from index.loaders import complete, load, load_bytes

ARTICLE_HTML = """<!doctype html><html><head><title>Harbour reopens | Test Times</title>
<meta property="og:site_name" content="Test Times"></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>Harbour reopens after storm</h1>
<p>The harbour at Velmora reopened on Tuesday after a storm closed it for three days, the port authority said.</p>
<p>Ships queued outside the breakwater were expected to dock by Thursday evening, officials told reporters.</p>
<p>Repairs to the northern quay will cost about 2 million crowns and take six weeks to finish.</p>
</article><footer>Copyright Test Times. All rights reserved. Subscribe to our newsletter.</footer></body></html>"""
NO_ARTICLE_HTML = "<html><body><nav><a href='/'>Home</a></nav></body></html>"


def _rss(base: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test Times</title>
<link>{base}/</link><description>d</description>
<item><title>Harbour reopens after storm</title><link>{base}/harbour.html</link>
<pubDate>Tue, 03 Nov 2026 08:15:00 GMT</pubDate></item>
<item><title>Gone</title><link>{base}/missing.html</link></item>
</channel></rss>"""


def _atom(base: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Atom Times</title><id>urn:x</id><updated>2026-11-05T10:00:00Z</updated>
<entry><title>Harbour reopens after storm</title><link href="{base}/harbour.html"/><id>urn:1</id>
<updated>2026-11-05T10:00:00Z</updated></entry></feed>"""


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """A local web server with an article, an empty page, a feed, an Atom feed and an image."""
    pages: dict[str, tuple[str, bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ctype, body = pages.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    pages.update({
        "/harbour.html": ("text/html; charset=utf-8", ARTICLE_HTML.encode()),
        "/empty.html": ("text/html", NO_ARTICLE_HTML.encode()),
        "/feed.rss": ("application/rss+xml", _rss(base).encode()),
        "/atom.xml": ("application/atom+xml", _atom(base).encode()),
        "/logo.png": ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00"),
    })
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def _loaded(inputs: list[str], **kw: object) -> list:  # type: ignore[type-arg]
    return list(load(inputs, **kw))  # type: ignore[arg-type]


def test_markdown_front_matter_gives_metadata(tmp_path: Path) -> None:
    f = tmp_path / "a.md"
    f.write_text("---\ntitle: Port strike: day two\nsource: Wire\npublished_at: 2026-11-04\n---\nBody one. Body two.\n")
    [item] = _loaded([str(f)])
    article = build_article(item.record)
    got = (article.title, article.source, article.published_at)
    assert got == ("Port strike: day two", "Wire", "2026-11-04T00:00:00Z")
    assert article.text == "Body one. Body two."


def test_plain_text_first_line_is_the_title(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("# Bridge closed\n\nThe Tannery Bridge closed on Monday.\n")
    article = build_article(_loaded([str(f)])[0].record)
    assert article.title == "Bridge closed"
    assert article.text == "The Tannery Bridge closed on Monday."


def test_folder_and_glob_expand_sorted(tmp_path: Path) -> None:
    for name in ("b.md", "a.txt", "skip.png"):
        (tmp_path / name).write_text("T\nSome text.")
    assert [i.origin for i in _loaded([str(tmp_path)])] == [str(tmp_path / "a.txt"), str(tmp_path / "b.md")]
    assert [i.origin for i in _loaded([str(tmp_path / "*.md")])] == [str(tmp_path / "b.md")]


def test_html_file_extracts_the_article_without_boilerplate(tmp_path: Path) -> None:
    f = tmp_path / "page.html"
    f.write_text(ARTICLE_HTML)
    article = build_article(_loaded([str(f)])[0].record)
    assert "reopened on Tuesday" in article.text and "Repairs to the northern quay" in article.text
    assert "Subscribe" not in article.text and "Sport" not in article.text
    assert article.title.startswith("Harbour reopens")


def test_html_with_no_article_is_a_clear_error() -> None:
    [item] = load_bytes("empty.html", NO_ARTICLE_HTML.encode())
    with pytest.raises(InvalidArticle, match="HTML holds no article"):
        build_article(item.record)


def test_jsonl_errors_name_the_line_and_the_rest_still_loads(tmp_path: Path) -> None:
    f = tmp_path / "batch.jsonl"
    f.write_text('{"title": "A", "text": "Fine text."}\n{"title": "B", "text": \n\n["not", "object"]\n'
                 '{"title": "C"}\n')
    items = _loaded([str(f)])
    assert [i.origin for i in items] == [f"{f}:1", f"{f}:2", f"{f}:4", f"{f}:5"]
    assert items[0].record is not None and items[0].error is None
    assert "malformed JSON line" in (items[1].error or "")
    assert items[2].error == "line is not a JSON object"
    with pytest.raises(InvalidArticle, match="no 'text'"):
        build_article(items[3].record)


def test_json_list_and_articles_object(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('[{"text": "One."}, {"text": "Two."}]')
    (tmp_path / "b.json").write_text('{"articles": [{"text": "Three."}]}')
    (tmp_path / "c.json").write_text('{"text": ')
    items = _loaded([str(tmp_path)])
    assert [i.origin for i in items] == [f"{tmp_path}/a.json[0]", f"{tmp_path}/a.json[1]", f"{tmp_path}/b.json",
                                         f"{tmp_path}/c.json"]
    assert "malformed JSON" in (items[3].error or "")


def test_binary_non_utf8_missing_and_oversized_files(tmp_path: Path) -> None:
    (tmp_path / "bin.txt").write_bytes(b"\x89PNG\x00\x00\x01")
    (tmp_path / "latin1.txt").write_bytes("Caf\u00e9 au lait.".encode("latin-1"))
    (tmp_path / "big.txt").write_text("word " * 100)
    errors = {Path(i.origin).name: i.error for i in _loaded([str(tmp_path), str(tmp_path / "nope.md")], max_bytes=300)}
    assert errors == {
        "big.txt": "file is 500 bytes, over the limit of 300",
        "bin.txt": "binary file, not text",
        "latin1.txt": "not UTF-8 text (invalid byte at offset 3); save it as UTF-8",
        "nope.md": "no such file or folder",
    }


def test_oversized_and_empty_articles_are_refused() -> None:
    with pytest.raises(InvalidArticle, match="over the limit of 100"):
        build_article({"text": "x " * 200}, max_chars=100)
    with pytest.raises(InvalidArticle, match="empty"):
        build_article({"text": " \n\t "})


def test_rss_feed_url_fetches_each_entry(site: str) -> None:
    fetcher = Fetcher()
    items = _loaded([f"{site}/feed.rss"], fetcher=fetcher)
    assert [i.fetch_url for i in items] == [f"{site}/harbour.html", f"{site}/missing.html"]
    done = [complete(i, fetcher) for i in items]
    article = build_article(done[0].record)
    assert article.title == "Harbour reopens after storm"
    assert article.source == "Test Times" and article.published_at == "2026-11-03T08:15:00Z"
    assert article.url == f"{site}/harbour.html" and "northern quay" in article.text
    assert done[1].record is None and "HTTP 404" in (done[1].error or "")
    assert done[1].origin == f"{site}/feed.rss entry 2 ({site}/missing.html)"


def test_feed_file_and_atom(site: str, tmp_path: Path) -> None:
    f = tmp_path / "news.xml"
    f.write_text(_atom(site))
    [item] = _loaded([str(f)])
    article = build_article(complete(item, Fetcher()).record)
    assert (article.source, article.published_at) == ("Atom Times", "2026-11-05T10:00:00Z")
    [bad] = load_bytes("notes.xml", b"<?xml version='1.0'?><notes><n>hi</n></notes>")
    assert "not an RSS or Atom feed" in (bad.error or "")


def test_bare_article_url_and_bad_urls(site: str) -> None:
    items = _loaded([f"{site}/harbour.html", f"{site}/logo.png", f"{site}/nope", "http://127.0.0.1:9/x"])
    article = build_article(items[0].record)
    assert article.url == f"{site}/harbour.html" and "reopened on Tuesday" in article.text
    assert items[1].error == "not an article page or feed (content type image/png)"
    assert "HTTP 404" in (items[2].error or "")
    assert "could not fetch http://127.0.0.1:9/x" in (items[3].error or "")


def test_upload_bytes_pick_format_by_name() -> None:
    [a] = load_bytes("x.md", b"Title\nText here.")
    [b] = load_bytes("x.jsonl", b'{"text": "Hi."}')
    assert a.record == {"title": "Title", "text": "Text here."}
    assert b.origin == "x.jsonl:1" and b.record == {"text": "Hi."}
