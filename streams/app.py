"""The faust application: built from one Settings object, never from module globals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import faust

from stocksync.schemas.codec import default_codec
from stocksync.settings import Settings
from stocksync.streams.config_relay import register_config_relay
from stocksync.streams.stock_api import register_stock_api
from stocksync.streams.stock_fold import StockFold
from stocksync.topics import STOCK_EVENTS, STOCK_EVENTS_DLQ, STOCK_EVENTS_REJECTED

RAW = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}

# Remembered event ids only guard against late duplicates; their changelog may age out.
EVENT_IDS_RETENTION_MS = str(30 * 24 * 3600 * 1000)


@dataclass(frozen=True)
class StockApp:
    app: faust.App
    fold: StockFold
    stock_table: Any


def create_app(settings: Settings) -> StockApp:
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap_servers}",
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
        stream_buffer_maxsize=max(4096, settings.batch_size * 2),
        table_standby_replicas=1,
        web_in_thread=False,
        logging_config=None,
    )
    stock_events = app.topic(settings.topic(STOCK_EVENTS.name), internal=False, **RAW)
    dlq = app.topic(settings.topic(STOCK_EVENTS_DLQ.name), internal=False, **RAW)
    rejected = app.topic(settings.topic(STOCK_EVENTS_REJECTED.name), internal=False, **RAW)
    stock_table = app.Table("stock", partitions=settings.partitions, key_type=bytes,
                            value_type=bytes)
    event_ids_table = app.Table(
        "event-ids",
        partitions=settings.partitions,
        key_type=bytes,
        value_type=bytes,
        extra_topic_configs={"cleanup.policy": "compact,delete",
                             "retention.ms": EVENT_IDS_RETENTION_MS},
    )
    fold = StockFold(
        codec=default_codec(),
        stock_table=stock_table,
        event_ids_table=event_ids_table,
        dlq_topic=dlq,
        rejected_topic=rejected,
        partitions=settings.partitions,
    )

    @app.agent(stock_events, name="fold-stock")
    async def fold_stock(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(settings.batch_size, settings.batch_within_s):
            await fold.process(events)

    register_stock_api(app, stock_table, fold.counters, settings.topic(STOCK_EVENTS.name))
    register_config_relay(app, settings, stock_events)
    return StockApp(app=app, fold=fold, stock_table=stock_table)
