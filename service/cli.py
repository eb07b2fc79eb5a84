"""The ``newsdesk`` command: serve, ingest, ask, summarize, brief, config."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from index.errors import NewsdeskError
from service.settings import Settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="newsdesk: cited, checked answers about your news.")
console = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic ValidationError: say which variable is wrong
        err.print(f"[red]error:[/red] invalid settings: {exc}")
        raise typer.Exit(2) from exc


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def config() -> None:
    """Print the effective settings (from NEWSDESK_* variables and defaults)."""
    from service.runtime import describe

    settings = _settings()
    table = Table("setting", "value", "environment variable")
    for key, value in describe(settings).items():
        table.add_row(key, str(value), f"NEWSDESK_{key.upper()}")
    console.print(table)


@app.command()
def serve(verbose: Annotated[bool, typer.Option("--verbose/--quiet")] = True) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from service import datalock
    from service.http.app import create_app

    _logging(verbose)
    settings = _settings()
    try:
        settings.check_model_file()
        settings.check_embedder()
        lock = None
        if settings.chroma_mode == "embedded":
            lock = datalock.acquire(settings.data_dir, role="server", host=settings.host, port=settings.port)
    except NewsdeskError as exc:
        _fail(
            f"{exc}"
            + (
                "; stop that process or set NEWSDESK_DATA_DIR to another folder"
                if isinstance(exc, datalock.DataDirBusy)
                else ""
            )
        )
    console.print(f"newsdesk serving on http://{settings.host}:{settings.port} (docs at /docs)")
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="info" if verbose else "warning"
    )
    del lock


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, globs, feeds, URLs (.md .html .jsonl .rss...)")],
    verbose: Annotated[bool, typer.Option("--verbose")] = False,
) -> None:
    """Add articles to the index (re-ingesting unchanged articles is a no-op).

    If a `newsdesk serve` owns the data dir, the articles are sent to it over HTTP.
    """
    from service import datalock

    _logging(verbose)
    settings = _settings()
    if settings.chroma_mode != "embedded":
        _ingest_local(paths, settings)
        return
    try:
        lock = datalock.acquire(settings.data_dir, role="ingest")
    except datalock.DataDirBusy as exc:
        url = datalock.server_url(exc.owner)
        if url is None:
            _fail(f"{exc}. Wait for it to finish, or set NEWSDESK_DATA_DIR to another folder.")
        _ingest_remote(paths, settings, str(url))
        return
    try:
        _ingest_local(paths, settings)
    finally:
        lock.release()


def _ingest_local(paths: list[str], settings: Settings) -> None:
    from service.ingestion import LOCAL_BATCH, LocalSink
    from service.runtime import build_index

    try:
        _, store = build_index(settings)
    except NewsdeskError as exc:
        _fail(str(exc))
    sink = LocalSink(store, pipeline=True)
    try:
        _ingest_with(paths, settings, sink, batch_size=LOCAL_BATCH)
    finally:
        sink.close()


def _ingest_remote(paths: list[str], settings: Settings, url: str) -> None:
    from service.ingestion import REMOTE_BATCH, RemoteSink, ServerUnreachable

    sink = RemoteSink(url, api_key=settings.api_key)
    try:
        sink.check(timeout_s=1.0)
    except ServerUnreachable as exc:
        _fail(
            f"{settings.data_dir} is owned by a newsdesk server, but {exc}. Restart that server (or stop it) "
            "and run ingest again, or POST the articles to it yourself."
        )
    err.print(f"a newsdesk server owns {settings.data_dir}: sending the articles to {url}")
    try:
        _ingest_with(paths, settings, sink, batch_size=REMOTE_BATCH)
    except ServerUnreachable as exc:
        _fail(f"{exc}. Articles sent before this point are stored; run ingest again to send the rest.")


def _ingest_with(paths: list[str], settings: Settings, sink: Any, *, batch_size: int) -> None:
    from index.fetch import Fetcher
    from index.loaders import load
    from service import ingestion

    fetcher = Fetcher()
    loaded = list(load(paths, fetcher=fetcher))
    if not loaded:
        _fail("no article files found in " + " ".join(paths))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("ingesting", total=len(loaded))
        results = ingestion.run(
            loaded,
            sink,
            max_chars=settings.max_article_chars,
            fetcher=fetcher,
            batch_size=batch_size,
            advance=lambda n: bar.advance(task, n),
        )
    _summary(results)
    if any(r.status == "error" for _, r in results):
        raise typer.Exit(1)


def _summary(results: list[tuple[str, Any]]) -> None:
    counts = {s: sum(1 for _, r in results if r.status == s) for s in ("created", "updated", "unchanged", "error")}
    table = Table("created", "updated", "unchanged", "failed")
    table.add_row(*(str(counts[s]) for s in ("created", "updated", "unchanged", "error")))
    console.print(table)
    failures = [(o, r) for o, r in results if r.status == "error"]
    if failures:
        ft = Table("input", "reason", title="failed")
        for origin, r in failures:
            ft.add_row(origin, r.error or "")
        console.print(ft)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON response")] = False,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these outlets")] = None,
    since: Annotated[str, typer.Option(help="Only articles published on/after (ISO date)")] = "",
    until: Annotated[str, typer.Option(help="Only articles published on/before (ISO date)")] = "",
    top_k: Annotated[int, typer.Option(min=1, max=50)] = 10,
) -> None:
    """Answer a question from the index, with checked citations (asks the server if one owns the data dir)."""
    _logging(False)
    filters = _filters_or_fail([], source, since, until)
    settings = _settings()
    body = {
        "question": question,
        "top_k": top_k,
        "filters": _filters_body(source, since, until),
    }

    def local() -> dict[str, Any]:
        from service.runtime import build

        settings.check_model_file()
        return build(settings).answerer.answer(question, filters, top_k).to_dict()

    data = _local_or_remote(settings, "ask", "/v1/ask", body, local)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    console.print(data["answer"], highlight=False)
    if data.get("mode") == "extractive":
        console.print("[dim](quoted from the sources: the model's own answer was not supported by them)[/dim]")
    _print_sources(data["citations"])


def _print_sources(citations: list[dict[str, Any]]) -> None:
    """Numbered sources under an answer or summary: title, outlet, date, url, quoted sentence."""
    from rich.markup import escape

    for c in citations:
        console.print(
            f"\n[bold]\\[{c['id']}][/bold] {escape(c['title'])} — {escape(c['source'])}, {c['published_at'][:10]}"
            f"\n    [dim]{escape(c['url'])}[/dim]\n    “{escape(c['text'])}”",
            highlight=False,
        )


def _local_or_remote(
    settings: Settings, role: str, path: str, body: dict[str, Any], local: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run ``local`` under the data dir's lock, or POST ``body`` to the server that owns the dir."""
    lock, url = _owner_or_lock(settings, role)
    try:
        if url is not None:
            return _post(url, path, body, settings)
        try:
            return local()
        except NewsdeskError as exc:
            _fail(str(exc))
            raise  # unreachable: _fail exits
    finally:
        if lock is not None:
            lock.release()


# ---- summarize and brief -------------------------------------------------------------------
def _owner_or_lock(settings: Settings, role: str) -> tuple[Any, str | None]:
    """(lock, None) when this process may open the index; (None, url) when a server owns it."""
    from service import datalock

    if settings.chroma_mode != "embedded":
        return None, None
    try:
        return datalock.acquire(settings.data_dir, role=role), None
    except datalock.DataDirBusy as exc:
        url = datalock.server_url(exc.owner)
        if url is None:
            _fail(f"{exc}. Wait for it to finish, or set NEWSDESK_DATA_DIR to another folder.")
        return None, url


def _post(url: str, path: str, body: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """POST to the server that owns the data dir; its error message, or an unreachable server, exits 1."""
    import httpx

    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    try:
        with err.status(f"a newsdesk server owns {settings.data_dir}: asking it at {url}{path}"):
            response = httpx.post(url + path, json=body, headers=headers, timeout=settings.generation_timeout_s * 10)
    except httpx.HTTPError as exc:
        _fail(
            f"{settings.data_dir} is owned by a newsdesk server at {url}, which did not answer ({exc}). "
            "Restart or stop that server, or set NEWSDESK_DATA_DIR to another folder."
        )
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code >= 400:
        _fail(str(data.get("error", {}).get("message") or f"the server answered HTTP {response.status_code}"))
    return dict(data)


def _filters_body(source: list[str] | None, since: str, until: str) -> dict[str, Any]:
    """The ``filters`` object of a request to the server."""
    return {"sources": list(source or ()), "since": since, "until": until}


def _filters_or_fail(ids: list[str], source: list[str] | None, since: str, until: str) -> Any:
    from index.store import Filters

    filters = Filters(article_ids=tuple(ids), sources=tuple(source or ()), since=since, until=until)
    try:
        filters.bounds()
    except NewsdeskError as exc:
        _fail(f"{exc} (use --since/--until like 2026-11-03)")
    return filters


@app.command()
def summarize(
    article_ids: Annotated[list[str] | None, typer.Argument(help="Ids of the articles to summarize")] = None,
    query: Annotated[str, typer.Option("--query", "-q", help="Summarize the articles about this instead")] = "",
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these outlets (with --query)")] = None,
    since: Annotated[str, typer.Option(help="Only articles published on/after (ISO date)")] = "",
    until: Annotated[str, typer.Option(help="Only articles published on/before (ISO date)")] = "",
    sentences: Annotated[int, typer.Option("--sentences", "-n", min=1, max=20, help="Summary length")] = 3,
    extractive: Annotated[bool, typer.Option(help="Quote source sentences only (no model)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the raw JSON response")] = False,
) -> None:
    """Summarize articles (by id) or the articles about --query; every sentence cites its sources."""
    _logging(False)
    ids = list(article_ids or [])
    if not ids and not query.strip() and not (source or since or until):
        _fail('give ARTICLE_ID... or --query "..." (ids are listed by GET /v1/articles)', 2)
    filters = _filters_or_fail([], source, since, until)
    settings = _settings()
    body = {
        "article_ids": ids,
        "query": query,
        "max_sentences": sentences,
        "extractive": extractive,
        "filters": _filters_body(source, since, until),
    }
    data = _local_or_remote(
        settings,
        "summarize",
        "/v1/summarize",
        body,
        lambda: _summarize_local(settings, ids, query, filters, sentences, extractive),
    )
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    console.print(data["summary"], highlight=False)
    if data.get("mode") == "extractive":
        console.print("[dim](quoted from the sources: no model-written sentence was supported by them)[/dim]")
    _print_sources(data.get("citations", []))


def _summarize_local(
    settings: Settings, ids: list[str], query: str, filters: Any, sentences: int, extractive: bool
) -> dict[str, Any]:
    from service.runtime import build
    from service.summarizing import summarizer_for

    try:
        settings.check_model_file()
        desk = build(settings)
        with err.status("summarizing"):
            result = summarizer_for(desk).summarize(ids, query, filters, sentences, extractive=extractive)
    except NewsdeskError as exc:
        _fail(str(exc))
    return result.to_dict()


@app.command()
def brief(
    topic: Annotated[str, typer.Option("--topic", "-t", help="What the briefing is about")] = "",
    since: Annotated[str, typer.Option(help="Only articles published on/after (ISO date)")] = "",
    until: Annotated[str, typer.Option(help="Only articles published on/before (ISO date)")] = "",
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these outlets")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, html or json")] = "md",
    out: Annotated[str, typer.Option("--out", "-o", help="Write to this file instead of stdout")] = "",
    stories: Annotated[int, typer.Option("--stories", min=1, max=20, help="Most stories to include")] = 5,
    sentences: Annotated[int, typer.Option("--sentences", "-n", min=1, max=10, help="Sentences per summary")] = 4,
    extractive: Annotated[bool, typer.Option(help="Quote source sentences only (no model)")] = False,
) -> None:
    """A briefing: the stories on --topic, each with a cited summary, timeline, corrections and outlets."""
    from service.briefing_render import FORMATS, render

    _logging(False)
    if fmt not in FORMATS:
        _fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}", 2)
    if not topic.strip() and not (source or since or until):
        _fail('give --topic "..." (and optionally --since/--until/--source)', 2)
    filters = _filters_or_fail([], source, since, until)
    settings = _settings()
    body = {
        "topic": topic,
        "max_stories": stories,
        "summary_sentences": sentences,
        "extractive": extractive,
        "filters": _filters_body(source, since, until),
    }
    data = _local_or_remote(
        settings,
        "brief",
        "/v1/briefings",
        body,
        lambda: _brief_local(settings, topic, filters, stories, sentences, extractive),
    )
    text = render(data, fmt)  # type: ignore[arg-type]
    if out:
        try:
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            _fail(f"cannot write {out}: {exc.strerror}")
        err.print(f"wrote {out} ({len(data.get('stories', []))} stories, {len(data.get('citations', []))} citations)")
    else:
        sys.stdout.write(text)


def _brief_local(
    settings: Settings, topic: str, filters: Any, stories: int, sentences: int, extractive: bool
) -> dict[str, Any]:
    from service.briefing import briefer_for
    from service.runtime import build

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        settings.check_model_file()
        with Progress(*columns, console=err, transient=False) as bar:
            task = bar.add_task("loading model and index", total=None)
            desk = build(settings)

            def progress(what: str, done: int, total: int | None) -> None:
                bar.update(task, description=what, completed=done, total=total)

            result = briefer_for(desk).brief(
                topic,
                filters,
                max_stories=stories,
                summary_sentences=sentences,
                extractive=extractive,
                progress=progress,
            )
    except NewsdeskError as exc:
        _fail(str(exc))
    return result.to_dict()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
