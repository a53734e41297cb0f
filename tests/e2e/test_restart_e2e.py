"""Restarts: tables come back from RocksDB or the changelog, and nothing is applied twice."""

from __future__ import annotations

import shutil
import urllib.parse

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from stocksync.domain.events import OrderStatus, OrderSynced, SaleShipped, StockEvent
from stocksync.domain.events import StockReceivedManually
from stocksync.domain.stock import fold, stock_view
from stocksync.kafka_security import client_options
from stocksync.publisher import StockEventPublisher
from stocksync.settings import Settings
from stocksync.topics import STOCK_EVENTS
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka

T0 = 1_767_225_600_000
SKUS = [f"RESTART-{i}" for i in range(12)]


def history(start: int, count: int) -> list[StockEvent]:
    """Stock-ins, bookings and shipments spread over several SKUs."""
    events: list[StockEvent] = []
    for n in range(start, start + count):
        sku = SKUS[n % len(SKUS)]
        envelope = {"event_id": f"r-{n}", "merchant_sku": sku, "warehouse_id": "WH-1",
                    "occurred_at": T0 + n, "source": "test"}
        kind = (n // len(SKUS)) % 3
        if kind == 0:
            events.append(StockReceivedManually(**envelope, qty=10))
        elif kind == 1:
            events.append(OrderSynced(**envelope, order_id=f"O-{n - len(SKUS)}", store_id="S1",
                                      qty=3, order_status=OrderStatus.NEW))
        else:
            events.append(SaleShipped(**envelope, qty=3, order_id=f"O-{n - 2 * len(SKUS)}"))
    return events


def expected_views(events: list[StockEvent]) -> dict[str, dict]:
    states = fold(events).states
    return {sku: stock_view(state) for sku, state in states.items()}


def live_views(worker: WorkerProcess) -> dict[str, dict]:
    views = {}
    for sku in SKUS:
        status, body = worker.get(f"/stock/{urllib.parse.quote(sku)}")
        if status == 200:
            views[sku] = body
    return views


def wait_for_views(worker: WorkerProcess, expected: dict[str, dict]) -> None:
    try:
        eventually(lambda: True if live_views(worker) == expected else None, timeout_s=90,
                   what="the worker's stock to equal the reference fold")
    except AssertionError:
        assert expected == live_views(worker)


def publish(settings: Settings, events: list[StockEvent]) -> None:
    with StockEventPublisher(settings) as publisher:
        publisher.publish(events)


def rewind_consumer_group(settings: Settings) -> None:
    """Commit offset 0 for every stock-events partition: the next worker re-reads everything."""
    topic = settings.topic(STOCK_EVENTS.name)
    consumer = KafkaConsumer(**client_options(settings),
                             group_id=settings.app_id, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.commit({tp: OffsetAndMetadata(0, "", -1) for tp in partitions})
    consumer.close()


def test_restarts_restore_state_without_double_application(workers, topics: Settings) -> None:
    """kill -9, a graceful stop, wiped local state and a forced redelivery of the whole log all
    end with the stock of a plain-Python fold of the log."""
    events = history(0, 240)
    worker = workers.start("restart")
    # Step 1: the first half is folded.
    publish(topics, events[:120])
    wait_for_views(worker, expected_views(events[:120]))
    # Step 2: kill -9 mid-life; the second half is published while no worker runs.
    worker.kill()
    publish(topics, events[120:])
    # Step 3: the same worker (same RocksDB folder) comes back and catches up.
    worker.start()
    worker.wait_until_serving()
    wait_for_views(worker, expected_views(events))
    # Step 4: a graceful stop, then a worker with no local state rebuilds from the changelog.
    worker.stop()
    shutil.rmtree(worker.settings.worker_data_dir)
    worker.start()
    worker.wait_until_serving()
    wait_for_views(worker, expected_views(events))
    # Step 5: every event is delivered again; each is recognised and skipped.
    worker.stop()
    rewind_consumer_group(topics)
    worker.start()
    worker.wait_until_serving()
    eventually(lambda: True if worker.stats()["redelivered_skipped"] >= len(events) else None,
               timeout_s=90, what="the redelivered events to be skipped")
    stats = worker.stats()
    assert (0, len(events)) == (stats["applied"], stats["redelivered_skipped"])
    assert expected_views(events) == live_views(worker)
