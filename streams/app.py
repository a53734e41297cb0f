"""The faust application: built from one Settings object, never from module globals."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import faust
from faust.types import TP

from stocksync.kafka_security import faust_credentials
from stocksync.schemas.codec import default_codec
from stocksync.settings import Settings
from stocksync.streams.auth import Guard, parse_tokens
from stocksync.streams.config_api import register_config_api
from stocksync.streams.config_relay import register_config_relay
from stocksync.streams.console import register_console
from stocksync.streams.console_api import register_console_api
from stocksync.streams.fold_io import RAW, RawTopic
from stocksync.streams.history_api import register_history_api
from stocksync.streams.history_projection import register_history_projection
from stocksync.streams.http_errors import json_errors
from stocksync.streams.faust_consumer import use_agents_consumer
from stocksync.streams.in_sequence import in_sequence_from_group
from stocksync.streams.openapi import register_openapi
from stocksync.streams.outcome_replay import register_outcome_replay
from stocksync.streams.push_agent import register_push_agent
from stocksync.streams.refresh_api import register_refresh_api
from stocksync.streams.scatter import Scatter
from stocksync.streams.stock_api import register_stock_api
from stocksync.streams.stock_fold import FoldTopics, StockFold
from stocksync.streams.table_writer import TableWriter
from stocksync.streams.sync_log_api import register_sync_log_api
from stocksync.streams.table_options import bytes_table
from stocksync.topics import (
    PUSH_COMMANDS,
    STOCK_EVENTS,
    STOCK_EVENTS_DLQ,
    STOCK_EVENTS_REJECTED,
    SYNC_RECORDS,
)

# Remembered event ids only guard against late duplicates; their changelog may age out.
EVENT_IDS_RETENTION_MS = str(30 * 24 * 3600 * 1000)
# How often idle partitions are checked for due windows: well inside the 250 ms close target.
WINDOW_TICK_S = 0.05
QUIET_S = 0.25


@dataclass(frozen=True)
class StockApp:
    app: faust.App
    fold: StockFold
    stock_table: Any


def create_app(settings: Settings, secrets: Mapping[str, str] | None = None) -> StockApp:
    """The worker's app; `secrets` is the environment its connectors take credentials from."""
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
        broker_credentials=faust_credentials(settings),
        store="rocksdb://",
        datadir=str(settings.worker_data_dir),
        autodiscover=False,
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        # faust creates only its internal topics; ours come from stocksync.topics.
        topic_allow_declare=True,
        web_enabled=True,
        web_bind=settings.web_host,
        web_host=settings.web_host,
        web_port=settings.web_port,
        canonical_url=settings.web_url,
        consumer_auto_offset_reset="earliest",
        processing_guarantee="at_least_once",
        producer_acks=-1,
        broker_commit_every=10_000,
        broker_commit_interval=1.0,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 3),
        stream_buffer_maxsize=max(4096, settings.batch_size * 2),
        table_standby_replicas=settings.standby_replicas,
        web_in_thread=False,
        web_application_options={"middlewares": [json_errors]},
        logging_config=None,
    )
    use_agents_consumer(app)

    def topic(spec: Any) -> Any:
        return app.topic(settings.topic(spec.name), internal=False, **RAW)

    def raw_topic(spec: Any) -> RawTopic:
        return RawTopic(app, settings.topic(spec.name))

    stock_events = topic(STOCK_EVENTS)
    stock_table = bytes_table(app, "stock", settings.partitions)
    event_ids_table = bytes_table(
        app, "event-ids", settings.partitions,
        extra_topic_configs={"cleanup.policy": "compact,delete",
                             "retention.ms": EVENT_IDS_RETENTION_MS})
    # A SKU's orders, a row each (streams/order_entries.py); forgotten ones are deleted.
    orders_table = bytes_table(app, "orders", settings.partitions)
    fold = StockFold(
        codec=default_codec(),
        stock_table=TableWriter(stock_table, app),
        event_ids_table=TableWriter(event_ids_table, app),
        orders_table=TableWriter(orders_table, app),
        topics=FoldTopics(dlq=raw_topic(STOCK_EVENTS_DLQ),
                          rejected=raw_topic(STOCK_EVENTS_REJECTED),
                          records=raw_topic(SYNC_RECORDS), commands=raw_topic(PUSH_COMMANDS),
                          log=None if settings.replay else raw_topic(STOCK_EVENTS)),
        partitions=settings.partitions,
        window_ms=settings.window_ms,
        grace_ms=settings.window_grace_ms,
        until_ms=settings.replay_until_ms,
    )

    agents = settings.agent_set
    if "fold" in agents:
        _register_fold(app, settings, fold, stock_events)
    guard = Guard(parse_tokens(settings.api_tokens),
                  read_only=f"{settings.app_id} is a replay: it changes nothing"
                  if settings.replay else None)
    register_stock_api(app, stock_table, fold, stock_events.get_topic_name(), guard, settings)
    register_config_api(app, settings, guard)
    register_refresh_api(app, stock_events, settings.partitions, guard)
    if "history" in agents:
        history = register_history_projection(app, settings)
        scatter = Scatter(app, settings.partitions, guard)
        register_history_api(app, settings, history, stock_events, scatter, guard)
        register_sync_log_api(app, settings, scatter, guard)
    if "push" in agents and settings.replay:
        register_outcome_replay(app, settings)
    elif "push" in agents:
        register_push_agent(app, settings, secrets or {})
    register_console_api(app, settings, guard)
    register_console(app)
    register_openapi(app)
    return StockApp(app=app, fold=fold, stock_table=stock_table)


def _register_fold(app: faust.App, settings: Settings, fold: StockFold, stock_events: Any) -> None:
    sequence = in_sequence_from_group(app, settings, stock_events.get_topic_name(), "fold")

    @app.agent(stock_events, name="fold-stock")
    async def fold_stock(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(settings.batch_size, settings.batch_within_s):
            await fold.process([event for event in events if await sequence.takes(event)])

    if not settings.replay:  # a replay closes windows at the ticks the log already holds
        @app.timer(WINDOW_TICK_S)
        async def tick_idle_partitions() -> None:
            idle = await _idle_partitions(app, fold, stock_events.get_topic_name())
            if idle:
                await fold.tick_idle_partitions(int(time.time() * 1000), idle)

    @app.on_partitions_revoked.connect
    async def _forget(app: faust.App, revoked: set[TP], **kwargs: Any) -> None:  # noqa: ARG001
        fold.forget_partitions(tp.partition for tp in revoked
                               if tp.topic == stock_events.get_topic_name())

    if not settings.replay:  # a replay's config changes are the snapshots in the log
        register_config_relay(app, settings, stock_events)


async def _idle_partitions(app: faust.App, fold: StockFold, topic: str) -> list[int]:
    """Assigned partitions with nothing left to process: every message the broker holds has
    been fetched and folded. Only those may let their watermark follow the wall clock."""
    if app.rebalancing or app.in_recovery:
        return []
    idle = []
    for tp in app.consumer.assignment():
        if tp.topic != topic:
            continue
        try:
            highwater = app.consumer.highwater(tp)
            position = await app.consumer.position(tp)
        except Exception:  # noqa: BLE001 - not fetched yet or mid-rebalance: not idle
            continue
        if highwater is None or position is None or position < highwater:
            continue
        last = fold.last_offset(tp.partition)
        # Nothing folded here since this worker took the partition: idle once every fetched
        # message would have reached the agent (take_events hands a batch over within
        # batch_within_s) and none did.
        if highwater == 0 or (last is not None and last + 1 >= highwater) or (
                last is None and fold.quiet_for(QUIET_S)):
            idle.append(tp.partition)
    return idle
