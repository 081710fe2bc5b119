"""Owns assembling the FastAPI app: create_app(settings) wires state, routes, middleware and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from generation.model import Embedder, model_info
from query.cache import QueryCache
from query.encoders import ChosenEncoder, choose_query_encoder
from query.searcher import Searcher
from service import api, web
from service.admin import ReindexJobs
from service.catalog import Catalogs
from service.errors import install_error_handlers
from service.metrics import Metrics
from service.middleware import BodyLimit, HeadersAndMetrics
from service.reload import IndexHolder, Reloader
from service.settings import Settings


def load_query_encoder(settings: Settings) -> ChosenEncoder:
    """The query encoder the settings ask for (falling back as `choose_query_encoder` says), behind an
    LRU cache of query vectors."""
    chosen = choose_query_encoder(
        settings.index_dir, model_info(settings.model), settings.query_encoder, settings.threads
    )
    chosen.embedder = QueryCache(chosen.embedder, settings.query_cache_size)
    return chosen


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """The service for one index directory; pass `embedder` to share an already loaded model (tests)."""
    settings = settings or Settings.from_env(os.environ)
    holder = IndexHolder(embedder=embedder)
    metrics = Metrics()

    def on_swap(searcher: Searcher) -> None:
        metrics.swaps.inc()
        metrics.passages.set(len(searcher.generation.passages))
        metrics.ready.set(1)

    reloader = Reloader(settings.index_dir, holder, settings.ranking(), on_swap, settings.verify)

    jobs = ReindexJobs(settings, after=reloader.check)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await reloader.start(lambda: load_query_encoder(settings))
        task = asyncio.create_task(reloader.poll(settings.reload_interval))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="semsearch",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Semantic search over a folder of documents.",
    )
    app.state.settings = settings
    app.state.holder = holder
    app.state.metrics = metrics
    app.state.reloader = reloader
    app.state.jobs = jobs
    app.state.catalogs = Catalogs()  # the pages' listing of the served generation's documents
    install_error_handlers(app, html=web.error_page)
    app.include_router(api.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(HeadersAndMetrics, metrics=metrics)
    return app
