"""Stock as of an instant against the real broker: `stocksync stock --as-of` and
`GET /stock/{sku}?as_of=` equal a plain-Python fold of the SKU's events logged up to then, and
"now" equals the live table."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Sequence

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from stocksync.domain.events import (
    OrderStatus,
    OrderSynced,
    PurchaseOrderPlaced,
    SaleShipped,
    StockCounted,
    StockEvent,
    StockReceivedManually,
    StockRemovedManually,
)
from stocksync.domain.stock import fold, stock_view
from stocksync.publisher import StockEventPublisher, ordered_producer
from stocksync.schemas.codec import EventDecodeError, default_codec
from stocksync.settings import Settings
from stocksync.streams.fold_io import partition_of
from stocksync.topic_reader import read_to_end
from stocksync.topics import STOCK_EVENTS
from tests.harness import WorkerProcess, eventually, settings_env

pytestmark = pytest.mark.kafka

T0 = 1_767_225_600_000


def three_skus(partitions: int) -> tuple[str, str, str]:
    """Two SKUs sharing a partition (the read skips the other's messages) and one elsewhere."""
    names = [f"ASOF-{i}" for i in range(64)]
    by_partition: dict[int, list[str]] = {}
    for name in names:
        by_partition.setdefault(partition_of(name.encode(), partitions), []).append(name)
    shared = next(skus for skus in by_partition.values() if len(skus) >= 2)
    other = next(name for name in names if partition_of(name.encode(), partitions)
                 != partition_of(shared[0].encode(), partitions))
    return shared[0], shared[1], other


class Events:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, event_type: type[StockEvent], sku: str, warehouse: str = "WH-1",
                 event_id: str | None = None, **fields: object) -> StockEvent:
        self.n += 1
        return event_type(event_id=event_id or f"asof-{self.n}", merchant_sku=sku,
                          warehouse_id=warehouse, occurred_at=T0 + self.n, source="test",
                          **fields)


def logged(settings: Settings) -> list[ConsumerRecord]:
    return read_to_end(settings, settings.topic(STOCK_EVENTS.name))


def reference(records: Sequence[ConsumerRecord], sku: str, instant: int,
              partitions: int) -> dict | None:
    """The plain-Python fold of `sku`'s events logged at or before `instant`, as the README's
    contract reads: undecodable bytes, a key that is not the event's SKU and a wrong partition
    are not applied; None when no event of the SKU was logged by then."""
    codec = default_codec()
    events = []
    for record in records:
        if record.key != sku.encode() or record.timestamp > instant:
            continue
        try:
            event = codec.decode(record.value)
        except EventDecodeError:
            continue
        if event.merchant_sku == sku and record.partition == partition_of(record.key, partitions):
            events.append(event)
    return stock_view(fold(events).state(sku)) if events else None


def as_of_http(worker: WorkerProcess, sku: str, as_of: str | int) -> tuple[int, dict]:
    query = urllib.parse.urlencode({"as_of": str(as_of)})
    return worker.get(f"/stock/{urllib.parse.quote(sku, safe='')}?{query}", timeout_s=60)


def as_of_cli(settings: Settings, sku: str, as_of: str | int) -> subprocess.CompletedProcess:
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run([sys.executable, "-m", "stocksync", "stock", sku, "--as-of",
                           str(as_of), "--json"], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def live(worker: WorkerProcess, sku: str) -> tuple[int, dict]:
    return worker.get(f"/stock/{urllib.parse.quote(sku, safe='')}")


def test_as_of_several_instants_equals_the_fold_of_the_log_up_to_them(workers,
                                                                       topics: Settings) -> None:
    worker = workers.start("a")
    a, b, c = three_skus(topics.partitions)
    e = Events()
    first = e(StockReceivedManually, a, qty=20)
    bursts: list[list[StockEvent]] = [
        [first, e(StockReceivedManually, a, "WH-2", qty=5), e(StockReceivedManually, b, qty=10),
         e(StockReceivedManually, c, qty=7),
         e(OrderSynced, a, order_id="O-1", store_id="S1", qty=3, order_status=OrderStatus.NEW)],
        [e(SaleShipped, a, qty=3, order_id="O-1"),
         e(StockReceivedManually, a, event_id=first.event_id, qty=20),  # a duplicate
         e(StockRemovedManually, b, qty=50),  # more than there is: rejected
         e(OrderSynced, c, order_id="O-2", store_id="S1", qty=2, order_status=OrderStatus.NEW)],
        [e(StockCounted, a, "WH-2", counted_qty=9), e(StockReceivedManually, b, qty=4),
         e(OrderSynced, c, order_id="O-2", store_id="S1", qty=2,
           order_status=OrderStatus.CANCELLED),
         e(PurchaseOrderPlaced, a, po_id="PO-1", qty=30)],
    ]
    codec = default_codec()
    wrong = next(p for p in range(topics.partitions) if p != partition_of(c.encode(),
                                                                          topics.partitions))
    # Step 1: three bursts; each is folded by the worker before the next (its log times differ).
    ends: list[int] = []
    with StockEventPublisher(topics) as publisher:
        for number, burst in enumerate(bursts):
            publisher.publish(burst)
            if number == 1:
                # Never applied, live or as of any instant: bytes that are no event, an event
                # under another SKU's key, an event on a partition its key does not map to.
                publisher.publish_raw(a.encode(), b"not avro")
                publisher.publish_raw(a.encode(), codec.encode(e(StockReceivedManually, b,
                                                                 qty=99)))
                misplaced = ordered_producer(topics, "misplacing")
                misplaced.send(topics.topic(STOCK_EVENTS.name), key=c.encode(),
                               value=codec.encode(e(StockReceivedManually, c, qty=99)),
                               partition=wrong).get(timeout=30)
                misplaced.close()
            records = logged(topics)
            for sku in (a, b, c):
                expected = reference(records, sku, 2**62, topics.partitions)
                eventually(lambda sku=sku, expected=expected: True
                           if live(worker, sku) == (200, expected) else None,
                           what=f"the worker to fold burst {number} of {sku}")
            ends.append(max(r.timestamp for r in records))
    records = logged(topics)
    second = sorted(r.timestamp for r in records if ends[0] < r.timestamp <= ends[1])
    instants = [min(r.timestamp for r in records) - 1, ends[0], second[len(second) // 2],
                ends[1], ends[1] + 1, ends[2]]
    # Before everything, after each burst: four states of A at least (the mid-burst instant
    # adds one only when the broker gave the burst's messages different times).
    assert 4 <= len({json.dumps(reference(records, a, instant, topics.partitions))
                     for instant in instants})
    # Step 2: every instant, every SKU, over HTTP.
    for instant in instants:
        for sku in (a, b, c):
            expected = reference(records, sku, instant, topics.partitions)
            status, body = as_of_http(worker, sku, instant)
            if expected is None:
                assert (404, "unknown merchant SKU") == (status, body["error"])
            else:
                assert (200, expected) == (status, body), (sku, instant)
    # The same instant as an ISO time with an offset.
    iso = dt.datetime.fromtimestamp(ends[1] / 1000, dt.timezone(dt.timedelta(hours=7)))
    assert as_of_http(worker, a, ends[1]) == as_of_http(worker, a, iso.isoformat())
    # Step 3: the CLI, at a few of them (it reads the log itself: no worker involved).
    for sku, instant in ((a, ends[0]), (b, second[len(second) // 2]), (c, ends[1]),
                         (a, ends[2])):
        result = as_of_cli(topics, sku, instant)
        assert 0 == result.returncode, result.stderr
        assert reference(records, sku, instant, topics.partitions) == json.loads(result.stdout)
    unknown = as_of_cli(topics, c, instants[0])
    assert (1, True) == (unknown.returncode, "unknown merchant SKU" in unknown.stderr)
    # Step 4: now is the live table.
    now = int(time.time() * 1000)
    for sku in (a, b, c):
        assert live(worker, sku) == as_of_http(worker, sku, now)


def test_a_bad_instant_or_parameter_is_refused(workers, topics: Settings) -> None:
    worker = workers.workers[0] if workers.workers else workers.start("a")
    status, body = worker.get("/stock/ANY?as_of=yesterday")
    assert (400, "as_of") == (status, body["parameter"])
    status, body = worker.get("/stock/ANY?asof=1")
    assert (400, "asof") == (status, body["parameter"])
    result = as_of_cli(topics, "ANY", "31/12/2025")
    assert 2 == result.returncode and "--as-of" in result.stderr
