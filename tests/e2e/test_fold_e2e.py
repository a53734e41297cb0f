"""The stock fold end to end: events through the real broker, stock read back over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
from collections.abc import Sequence

import pytest
from kafka import KafkaProducer

from stocksync.domain.events import (
    InventoryRefreshRequested,
    MappingAction,
    MappingChanged,
    OrderMovedToPack,
    OrderStatus,
    OrderSynced,
    OrderVoided,
    PromotionReserveSet,
    PurchaseOrderPlaced,
    PurchaseReceived,
    PushNowRequested,
    ReturnReceivedManually,
    ReturnScanned,
    SaleShipped,
    StockCounted,
    StockEvent,
    StockReceivedManually,
    StockRemovedManually,
    TransferReceived,
    TransferShipped,
    VoidedOrderReverted,
    Reason,
    WarehouseChanged,
)
from stocksync.domain.stock import fold, stock_view
from stocksync.kafka_security import client_options
from stocksync.publisher import StockEventPublisher
from stocksync.schemas.codec import default_codec
from stocksync.settings import Settings
from stocksync.topic_reader import end_offsets, read_to_end, start_offsets
from stocksync.topics import STOCK_EVENTS, STOCK_EVENTS_DLQ, STOCK_EVENTS_REJECTED
from tests.harness import WorkerProcess, eventually, settings_env

pytestmark = pytest.mark.kafka

T0 = 1_767_225_600_000


class Events:
    """Builds events with unique ids for one SKU."""

    def __init__(self, sku: str, warehouse: str = "WH-1") -> None:
        self.sku, self.warehouse, self.n = sku, warehouse, 0

    def __call__(self, event_type: type[StockEvent], warehouse: str | None = None,
                 **fields: object) -> StockEvent:
        self.n += 1
        return event_type(event_id=f"{self.sku}-{self.n}", merchant_sku=self.sku,
                          warehouse_id=warehouse or self.warehouse,
                          occurred_at=T0 + self.n * 1000, source="test", **fields)


@pytest.fixture(scope="module")
def worker(workers) -> WorkerProcess:
    return workers.start("a")


def publish(settings: Settings, events: Sequence[StockEvent]) -> None:
    with StockEventPublisher(settings) as publisher:
        publisher.publish(events)


def stock_of(worker: WorkerProcess, sku: str) -> tuple[int, dict]:
    return worker.get(f"/stock/{urllib.parse.quote(sku, safe='')}")


def wait_for_stock(worker: WorkerProcess, sku: str, expected: dict) -> dict:
    def matches() -> dict | None:
        status, body = stock_of(worker, sku)
        return body if status == 200 and body == expected else None

    try:
        return eventually(matches, timeout_s=60, what=f"stock of {sku}")
    except AssertionError:
        assert expected == stock_of(worker, sku)[1]
        raise


def totals(view: dict) -> tuple[int, int, int]:
    total = view["total"]
    return total["in_stock"], total["booked"], total["available"]


def read_topic(settings: Settings, name: str) -> list:
    """Every record of a project topic, from its start to its current end."""
    return read_to_end(settings, settings.topic(name))


def test_sumtracker_example(worker: WorkerProcess, topics: Settings) -> None:
    """50 in stock, an order of 4 → 50/4/46; the order ships → 46/0/46."""
    e = Events("SUMTRACKER-APPLE")
    # Step 1: 50 apples are received, then an order for 4 arrives.
    publish(topics, [e(StockReceivedManually, qty=50),
                     e(OrderSynced, order_id="O-1", store_id="S1", qty=4,
                       order_status=OrderStatus.NEW)])
    booked = eventually(lambda: (lambda s: s if s[0] == 200 and s[1]["total"]["booked"] == 4
                                 else None)(stock_of(worker, "SUMTRACKER-APPLE")))
    assert (50, 4, 46) == totals(booked[1])
    # Step 2: the order ships.
    publish(topics, [e(SaleShipped, qty=4, order_id="O-1")])
    shipped = eventually(lambda: (lambda s: s if s[1]["total"]["in_stock"] == 46 else None)(
        stock_of(worker, "SUMTRACKER-APPLE")))
    assert (46, 0, 46) == totals(shipped[1])


def every_reason(sku: str) -> list[StockEvent]:
    """At least one event of each of the 17 reasons and the two extra events, all applicable."""
    e = Events(sku)
    return [
        e(StockReceivedManually, qty=100, note="opening"),                       # 2
        e(PurchaseOrderPlaced, po_id="PO-1", qty=40),                           # extra
        e(PurchaseReceived, qty=25, po_id="PO-1"),                              # 6
        e(OrderSynced, order_id="O-1", store_id="S1", qty=5,
          order_status=OrderStatus.NEW),                                        # 1
        e(OrderSynced, order_id="O-2", store_id="S1", qty=3,
          order_status=OrderStatus.NEW),
        e(OrderSynced, order_id="O-2", store_id="S1", qty=3,
          order_status=OrderStatus.CANCELLED),
        e(SaleShipped, qty=5, order_id="O-1"),                                  # 8
        e(ReturnScanned, qty=1, order_id="O-1"),                                # 3
        e(ReturnReceivedManually, qty=2),                                       # 4
        e(TransferShipped, qty=10, transfer_id="T-1", to_warehouse="WH-2"),     # 9
        e(TransferReceived, "WH-2", qty=10, transfer_id="T-1",
          from_warehouse="WH-1"),                                               # 5
        e(StockRemovedManually, qty=4, note="damaged"),                         # 7
        e(OrderSynced, order_id="O-3", store_id="S2", qty=6,
          order_status=OrderStatus.NEW),
        e(OrderVoided, order_id="O-3"),                                         # 10
        e(VoidedOrderReverted, order_id="O-3"),                                 # 11
        e(WarehouseChanged, order_id="O-3", to_warehouse="WH-2"),               # 13
        e(OrderMovedToPack, order_id="O-4", qty=2),                             # 14
        e(MappingChanged, store_id="S1", store_sku="S1-SKU",
          action=MappingAction.ADD),                                            # 12
        e(InventoryRefreshRequested),                                           # 15
        e(PushNowRequested, store_ids=("S1",)),                                 # 16
        e(StockCounted, "WH-2", counted_qty=8),                                 # 17
        e(PromotionReserveSet, store_id="S2", qty=3),                           # extra
    ]


def test_every_reason_through_kafka(worker: WorkerProcess, topics: Settings) -> None:
    """One event of every reason is folded by the worker exactly as the domain fold says."""
    events = every_reason("EVERY-REASON")
    assert set(Reason) == {event.reason for event in events}
    expected = fold(events)
    assert () == expected.rejected  # every event above is applicable
    publish(topics, events)
    live = wait_for_stock(worker, "EVERY-REASON", stock_view(expected.states["EVERY-REASON"]))
    # WH-1: 100 + 25 - 5 + 1 + 2 - 10 - 4 = 109 in stock; O-4 (2) booked, 3 reserved.
    assert {"in_stock": 109, "booked": 2, "available": 104, "incoming": 15} == {
        k: live["warehouses"]["WH-1"][k] for k in ("in_stock", "booked", "available", "incoming")}
    # WH-2: counted 8; O-3 (6) moved here.
    assert (8, 6, 2) == (live["warehouses"]["WH-2"]["in_stock"],
                         live["warehouses"]["WH-2"]["booked"],
                         live["warehouses"]["WH-2"]["available"])


def test_a_transactional_upstream_is_folded_whole_and_its_aborts_never(
        worker: WorkerProcess, topics: Settings) -> None:
    """An upstream producer that writes in transactions leaves a marker after each commit and
    abort: offsets without a record, which the fold steps over (and commits past) instead of
    waiting for them; what an aborted transaction wrote is never folded."""
    e, topic = Events("TXN-SKU"), topics.topic(STOCK_EVENTS.name)
    producer = KafkaProducer(**client_options(topics), acks="all", enable_idempotence=True,
                             transactional_id=f"{topics.app_id}-upstream")
    producer.init_transactions()
    committed: list[StockEvent] = []
    for n in range(6):
        batch = [e(StockReceivedManually, qty=10 + n), e(StockRemovedManually, qty=1)]
        producer.begin_transaction()
        sent = [producer.send(topic, key=b"TXN-SKU", value=default_codec().encode(event))
                for event in batch]
        producer.flush()
        partition = sent[0].get(timeout=30).partition
        if n % 3 == 2:
            producer.abort_transaction()
        else:
            producer.commit_transaction()
            committed += batch
    producer.close()
    # Step 1: the committed transactions' events, and only those, are folded.
    expected = fold(committed)
    wait_for_stock(worker, "TXN-SKU", stock_view(expected.states["TXN-SKU"]))
    # Step 2: a plain message after the last marker: the group commits past every marker.
    publish(topics, [e(StockReceivedManually, qty=1)])
    end = end_offsets(topics, topic)[partition]
    eventually(lambda: True if start_offsets(topics, topics.app_id, topic)[partition] == end
               else None, timeout_s=60, what="the group to commit to the partition's end")


def test_unknown_sku_is_404(worker: WorkerProcess) -> None:
    """An unknown SKU answers 404 with a JSON error."""
    status, body = stock_of(worker, "NO-SUCH-SKU")
    assert (404, "unknown merchant SKU") == (status, body["error"])


def test_stock_cli_prints_the_same(worker: WorkerProcess, topics: Settings) -> None:
    """`stocksync stock SKU --json` prints what the HTTP API answers."""
    publish(topics, [Events("CLI-PEAR")(StockReceivedManually, qty=7)])
    expected = wait_for_stock(worker, "CLI-PEAR", expected_after_stock_in(7, "CLI-PEAR"))
    as_json = run_cli(worker.settings, "stock", "CLI-PEAR", "--json")
    assert expected == json.loads(as_json.stdout)
    table = run_cli(worker.settings, "stock", "CLI-PEAR").stdout
    assert "TOTAL" in table and "7" in table


def test_apache_avro_message_is_folded(worker: WorkerProcess, topics: Settings) -> None:
    """A single-object message written by the Apache `avro` package (not our codec) is folded."""
    from tests.e2e.apache_avro import apache_single_object

    event = Events("APACHE-AVRO")(StockReceivedManually, qty=12)
    with StockEventPublisher(topics) as publisher:
        publisher.publish_raw(b"APACHE-AVRO", apache_single_object(event))
    view = wait_for_stock(worker, "APACHE-AVRO", stock_view(fold([event]).states["APACHE-AVRO"]))
    assert 12 == view["total"]["in_stock"]


def test_bad_input_is_dead_lettered_or_rejected_and_counts_reconcile(
    worker: WorkerProcess, topics: Settings
) -> None:
    """Garbage goes to the DLQ with its error, an over-drawn stock-out to the rejected topic;
    the worker keeps serving; published = applied + rejected + dead-lettered."""
    before = worker.stats()
    e = Events("RECONCILE")
    good = [e(StockReceivedManually, qty=5), e(OrderSynced, order_id="O-9", store_id="S1", qty=2,
                                             order_status=OrderStatus.NEW)]
    overdraw = e(StockRemovedManually, qty=500)
    duplicate = good[0]
    garbage = [b"\x00not avro at all", b"\xc3\x01" + b"\x00" * 8 + b"body", b""]
    with StockEventPublisher(topics) as publisher:
        publisher.publish(good)
        for blob in garbage:
            publisher.publish_raw(b"RECONCILE", blob)
        publisher.publish([overdraw, duplicate])
    published = len(good) + len(garbage) + 2

    def settled() -> dict | None:
        stats = worker.stats()
        done = sum(stats[k] - before[k] for k in ("applied", "rejected", "dead_lettered"))
        return stats if done >= published else None

    after = eventually(settled, timeout_s=60, what="the worker to account for every message")
    assert (2, 2, 3) == tuple(after[k] - before[k] for k in ("applied", "rejected",
                                                             "dead_lettered"))
    # The dead letters keep their bytes and carry the error.
    dlq = [r for r in read_topic(topics, STOCK_EVENTS_DLQ.name) if r.key == b"RECONCILE"]
    assert sorted(garbage) == sorted(r.value for r in dlq)
    assert all(dict(r.headers).get("stocksync.error") for r in dlq)
    # The rejected events carry machine-readable reasons.
    rejected = [r for r in read_topic(topics, STOCK_EVENTS_REJECTED.name) if r.key == b"RECONCILE"]
    assert {b"INSUFFICIENT_STOCK", b"DUPLICATE_EVENT"} == {
        dict(r.headers)["stocksync.rejection"] for r in rejected}
    # The stock reflects only the applicable events, and the worker still serves.
    assert (5, 2, 3) == totals(stock_of(worker, "RECONCILE")[1])


def test_publish_cli_validates_the_whole_file_first(worker: WorkerProcess, topics: Settings,
                                                    tmp_path) -> None:
    """A file with one bad line sends nothing and names the line; a good file is folded."""
    good = {"reason": "STOCK_IN_MANUAL", "merchant_sku": "CLI-FILE", "warehouse_id": "WH-1",
            "occurred_at": "2026-01-01T09:00:00Z", "source": "test", "qty": 9}
    bad = {**good, "qty": "nine"}
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in (good, bad)) + "\n")
    result = run_cli(topics, "publish", str(path), check=False)
    assert 2 == result.returncode
    assert "line 2" in result.stderr and "qty" in result.stderr
    offsets = _end_offsets(topics)
    path.write_text(json.dumps(good) + "\n")
    run_cli(topics, "publish", str(path))
    assert 1 == sum(_end_offsets(topics).values()) - sum(offsets.values())
    wait_for_stock(worker, "CLI-FILE", expected_after_stock_in(9, "CLI-FILE"))


def run_cli(settings: Settings, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run([sys.executable, "-m", "stocksync", *args], capture_output=True,
                          text=True, env=env, timeout=60, check=check)


def expected_after_stock_in(qty: int, sku: str) -> dict:
    event = StockReceivedManually(event_id="x", merchant_sku=sku, warehouse_id="WH-1",
                                  occurred_at=T0, source="test", qty=qty)
    return stock_view(fold([event]).states[sku])


def _end_offsets(settings: Settings) -> dict:
    return end_offsets(settings, settings.topic(STOCK_EVENTS.name))
