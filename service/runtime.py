"""Builds the working parts of newsdesk from Settings (or takes ready-made ones, e.g. fakes)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from index.embedder import Embedder, load_embedder
from index.search import Searcher
from index.store import Store, open_client
from service import questions
from service.answering import Answerer
from service.citations import CitationChecker
from service.gate import gated
from service.llm import Generator, load_generator
from service.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Newsdesk:
    """The assembled core: index, model and the jobs built on them."""

    settings: Settings
    embedder: Embedder
    store: Store
    searcher: Searcher
    generator: Generator
    checker: CitationChecker
    answerer: Answerer

    def warm_in_background(self) -> threading.Thread:
        """Embed the index's words for the answer judge off the request path (once loaded, after an ingest)."""

        def run() -> None:
            try:
                self.answerer.warm()
            except Exception:  # a cold cache only costs time: questions embed the words they need
                log.exception("warming the answer judge failed; questions will embed words as they need them")

        thread = threading.Thread(target=run, name="newsdesk-warm", daemon=True)
        thread.start()
        return thread


def open_store(settings: Settings, embedder: Embedder) -> Store:
    """The configured Chroma store (embedded under data_dir, or a server)."""
    path = settings.data_dir / "chroma"
    if settings.chroma_mode == "embedded":
        path.mkdir(parents=True, exist_ok=True)
    client = open_client(settings.chroma_mode, path=str(path), host=settings.chroma_host, port=settings.chroma_port)
    return Store(
        client,
        embedder,
        prefix=settings.collection_prefix,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
    )


def build_index(
    settings: Settings, *, embedder: Embedder | None = None, store: Store | None = None
) -> tuple[Embedder, Store]:
    """Embedder and store, without loading any LLM (enough for ingest)."""
    if embedder is None:
        settings.check_embedder()
        embedder = load_embedder(settings.embedder_path, batch_size=settings.embed_batch_size)
    if store is None:
        store = open_store(settings, embedder)
    return embedder, store


def build(
    settings: Settings,
    *,
    generator: Generator | None = None,
    embedder: Embedder | None = None,
    store: Store | None = None,
) -> Newsdesk:
    """Everything newsdesk needs to answer; missing parts are loaded from settings."""
    embedder, store = build_index(settings, embedder=embedder, store=store)
    if generator is None:
        generator = load_generator(settings)
    # Every job (answers, summaries, chat) shares one model: all generations queue through the Gate.
    generator = gated(generator, queue_size=settings.queue_size, timeout_s=settings.generation_timeout_s)
    searcher = Searcher(store, embedder)
    searcher.warm()  # the BM25 index, built at load time rather than on the first question
    questions.warm()  # the question parser (about a second to load)
    checker = CitationChecker(embedder, settings.support_threshold)
    answerer = Answerer(
        searcher,
        generator,
        checker,
        top_k=settings.top_k,
        min_relevance=settings.min_relevance,
        max_tokens=settings.max_answer_tokens,
        temperature=settings.temperature,
    )
    return Newsdesk(settings, embedder, store, searcher, generator, checker, answerer)


def describe(settings: Settings) -> dict[str, Any]:
    """Effective settings with secrets masked (for `newsdesk config`)."""
    out = settings.model_dump(mode="json")
    for key in ("api_key", "remote_api_key"):
        if out.get(key):
            out[key] = "***"
    return out
