"""FastAPI app factory. State lives on ``app.state``; routes are thin adapters."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from index.embedder import Embedder
from index.store import Store
from service.http import answers, articles, errors, health, metrics, openai_compat, security, summaries
from service.llm import Generator
from service.runtime import Newsdesk, build
from service.settings import Settings

log = logging.getLogger(__name__)


def _load(
    app: FastAPI, settings: Settings, generator: Generator | None, embedder: Embedder | None, store: Store | None
) -> None:
    try:
        app.state.desk = build(settings, generator=generator, embedder=embedder, store=store)
        log.info("newsdesk ready: model %s, %d articles", settings.model_id, len(app.state.desk.store.catalog))
        app.state.desk.warm_in_background()
    except Exception as exc:  # surfaced by /readyz and by every route that needs the core
        log.exception("newsdesk failed to load")
        app.state.load_error = str(exc)


def create_app(
    settings: Settings,
    *,
    generator: Generator | None = None,
    embedder: Embedder | None = None,
    store: Store | None = None,
    background_load: bool = True,
) -> FastAPI:
    """The newsdesk HTTP app. Models load in a background thread; /readyz says when done."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if background_load:
            thread = threading.Thread(target=_load, args=(app, settings, generator, embedder, store), daemon=True)
            thread.start()
        else:
            _load(app, settings, generator, embedder, store)
        yield

    app = FastAPI(
        title="newsdesk",
        version="0.1.0",
        description="Questions, summaries and briefings over your news articles, every claim cited and checked.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.desk = None
    app.state.load_error = None
    errors.install(app)
    # Middleware added later wraps what came before: CORS outermost, then metrics, key, body limit.
    security.install(app, settings)
    metrics.install(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Retry-After"],
        )
    app.include_router(health.router)
    app.include_router(articles.router)
    app.include_router(answers.router)
    app.include_router(summaries.router)
    app.include_router(openai_compat.router)
    return app


def get_desk(app: FastAPI) -> Newsdesk:
    """The loaded core, or ModelUnavailable (503) while loading / after a failed load."""
    from service.llm import ModelUnavailable

    desk: Newsdesk | None = app.state.desk
    if desk is None:
        if app.state.load_error:
            raise ModelUnavailable(f"newsdesk failed to load: {app.state.load_error}")
        raise ModelUnavailable("newsdesk is still loading its model and index; retry in a few seconds")
    return desk
