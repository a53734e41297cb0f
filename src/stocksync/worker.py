"""Runs one stream-processing worker: creates the project's topics, then runs the faust app."""

from __future__ import annotations

import os

from faust.worker import Worker

from stocksync.gc_freeze import FrozenHeap
from stocksync.kafka_security import describe
from stocksync.logs import configure_logging, get_logger
from stocksync.settings import Settings
from stocksync.streams.app import create_app
from stocksync.topic_admin import create_changelog_topics, create_topics

log = get_logger(__name__)


def run_worker(settings: Settings) -> None:
    settings.worker_data_dir.mkdir(parents=True, exist_ok=True)
    create_topics(settings)
    stock_app = create_app(settings, secrets=os.environ)
    create_changelog_topics(settings, stock_app.app.tables.values())
    worker = Worker(stock_app.app, loglevel=settings.log_level.upper(), quiet=True,
                    override_logging=False)

    @stock_app.app.task
    async def _log_started() -> None:
        # faust's worker set up logging on its own terms; put ours back in place.
        configure_logging(settings.log_format, settings.log_level, settings.secrets)
        if not settings.api_tokens:
            log.warning("api_open", reason="no STOCKSYNC_API_TOKENS configured",
                        web=settings.web_url)
        log.info("worker_started", app_id=settings.app_id, web=settings.web_url,
                 bootstrap=settings.kafka_bootstrap_servers, data_dir=str(settings.worker_data_dir),
                 **describe(settings))

    if settings.gc_freeze_interval_s:
        heap = FrozenHeap(settings.gc_full_interval_s)

        @stock_app.app.timer(settings.gc_freeze_interval_s)
        async def _freeze_heap() -> None:
            full = heap.tick()
            if full is not None:
                log.info("gc_full_collection", collected=full.collected,
                         paused_ms=round(full.seconds * 1000, 1))

    worker.execute_from_commandline()
