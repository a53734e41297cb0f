"""The push pipeline's test vocabulary: stores and rules on the simulated marketplace, events of
one SKU, publishing, and waiting for what the worker and the marketplace show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kafka import KafkaConsumer, TopicPartition

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import MappingAction, MappingChanged, StockEvent
from stocksync.domain.sync import ConnectorSettings, Store, SyncRecord, SyncRule
from stocksync.kafka_security import client_options
from stocksync.projections.sync_history import read_sync_records
from stocksync.publisher import StockEventPublisher
from stocksync.settings import Settings
from stocksync.topics import CONFIG
from tests.e2e.marketplace import MarketplaceProcess
from tests.harness import WorkerProcess, eventually

T0 = 1_767_225_600_000


def store(store_id: str, marketplace: MarketplaceProcess, rps: float = 20.0) -> Store:
    return Store(store_id, f"{store_id} shop", "shopee",
                 ConnectorSettings("simulated", (("base_url", marketplace.url),),
                                   requests_per_second=rps))


def rule(name: str, warehouse: str, stores: list[str], **fields: object) -> SyncRule:
    return SyncRule(name, frozenset({warehouse}), frozenset(stores), **fields)  # type: ignore[arg-type]


def put_config(settings: Settings, stores: list[Store], rules: list[SyncRule]) -> ConfigWriter:
    """Publish `stores`, then `rules` (a rule's stores must exist first); the writer, for more."""
    writer = ConfigWriter(settings)
    for store_ in stores:
        writer.put_store(store_)
    for rule_ in rules:
        writer.put_rule(rule_)
    return writer


def wait_for_config(worker: WorkerProcess, settings: Settings) -> None:
    """Until every partition has applied the latest configuration version."""
    consumer = KafkaConsumer(**client_options(settings))
    partition = TopicPartition(settings.topic(CONFIG.name), 0)
    latest = consumer.end_offsets([partition])[partition] - 1
    consumer.close()

    def applied() -> bool | None:
        versions = worker.stats()["config_versions"]
        return True if (len(versions) == settings.partitions
                        and all(int(v) >= latest for v in versions.values())) else None

    eventually(applied, timeout_s=60, what=f"config version {latest} in every partition")


class Events:
    def __init__(self, sku: str, warehouse: str) -> None:
        self.sku, self.warehouse, self.n = sku, warehouse, 0

    def __call__(self, event_type: type[StockEvent], **fields: object) -> StockEvent:
        self.n += 1
        return event_type(event_id=f"{self.sku}-{self.n}", merchant_sku=self.sku,
                          warehouse_id=self.warehouse, occurred_at=T0 + self.n, source="test",
                          **fields)

    def mapped(self, store_id: str, store_sku: str) -> StockEvent:
        return self(MappingChanged, store_id=store_id, store_sku=store_sku,
                    action=MappingAction.ADD)


def publish(settings: Settings, events: list[StockEvent]) -> None:
    with StockEventPublisher(settings) as publisher:
        publisher.publish(events)


def records_of(settings: Settings, sku: str) -> list[SyncRecord]:
    return [r for r in read_sync_records(settings).values() if r.merchant_sku == sku]


def listing_shows(marketplace: MarketplaceProcess, store_id: str, store_sku: str,
                  qty: int) -> None:
    eventually(lambda: True if marketplace.listings(store_id).get(store_sku) == qty else None,
               timeout_s=60, what=f"{store_id}/{store_sku} to show {qty}")




@contextmanager
def running_marketplace(settings: Settings, rate_limit: float) -> Iterator[MarketplaceProcess]:
    """The simulated marketplace, its log in the namespace's folder."""
    process = MarketplaceProcess(settings.home / "marketplace.log", rate_limit=rate_limit)
    process.start()
    try:
        yield process
    finally:
        process.stop()
