"""The ``newsdesk`` command: serve, ingest, ask, config."""

from __future__ import annotations

import json
import logging
import sys
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
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


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
        _fail(f"{exc}" + ("; stop that process or set NEWSDESK_DATA_DIR to another folder" if isinstance(exc, datalock.DataDirBusy) else ""))
    console.print(f"newsdesk serving on http://{settings.host}:{settings.port} (docs at /docs)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info" if verbose else "warning")
    del lock


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders, globs, feeds, URLs (.md .txt .html .json .jsonl .rss)")],
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
    from service.ingestion import LocalSink
    from service.runtime import build_index

    try:
        _, store = build_index(settings)
    except NewsdeskError as exc:
        _fail(str(exc))
    _ingest_with(paths, settings, LocalSink(store), batch_size=32)


def _ingest_remote(paths: list[str], settings: Settings, url: str) -> None:
    from service.ingestion import RemoteSink, ServerUnreachable

    sink = RemoteSink(url, api_key=settings.api_key)
    try:
        sink.check(timeout_s=1.0)
    except ServerUnreachable as exc:
        _fail(f"{settings.data_dir} is owned by a newsdesk server, but {exc}. Restart that server (or stop it) "
              "and run ingest again, or POST the articles to it yourself.")
    err.print(f"a newsdesk server owns {settings.data_dir}: sending the articles to {url}")
    try:
        _ingest_with(paths, settings, sink, batch_size=16)
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
        results = ingestion.run(loaded, sink, max_chars=settings.max_article_chars, fetcher=fetcher,
                                batch_size=batch_size, advance=lambda n: bar.advance(task, n))
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
    """Answer a question from the index, with checked citations."""
    from index.store import Filters
    from service.runtime import build

    _logging(False)
    settings = _settings()
    try:
        settings.check_model_file()
        desk = build(settings)
        result = desk.answerer.answer(question, Filters(sources=tuple(source or ()), since=since, until=until), top_k)
    except NewsdeskError as exc:
        _fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    console.print(result.answer, highlight=False)
    if result.mode == "extractive":
        console.print("[dim](quoted from the sources: the model's own answer was not supported by them)[/dim]")
    for c in result.citations:
        console.print(f"\n[bold][{c.id}][/bold] {c.title} — {c.source}, {c.published_at[:10]}\n    [dim]{c.url}[/dim]\n    “{c.text}”", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
