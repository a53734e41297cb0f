"""The fold agent's translation layer, with in-memory twins of faust's tables and topics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka.partitioner import murmur2

from stocksync.domain.events import StockReceivedManually, StockRemovedManually
from stocksync.schemas.codec import default_codec
from stocksync.streams import stock_fold
from stocksync.streams.state_codec import decode_stored
from stocksync.streams.stock_fold import FoldTopics, StockFold

PARTITIONS = 4
T0 = 1_767_225_600_000


@dataclass
class Message:
    key: bytes | None
    value: bytes
    partition: int
    offset: int
    timestamp: float = T0 / 1000  # log append time, seconds (as faust gives it)
    topic: str = "stock-events"


@dataclass
class Event:
    message: Message


@dataclass
class Topic:
    """Records sends; a send completes when `acked` is set (as the broker's ack would)."""

    sent: list[tuple[bytes | None, bytes, dict[str, bytes]]] = field(default_factory=list)
    partitions: list[int | None] = field(default_factory=list)

    async def send(self, *, key: bytes | None, value: bytes, headers: list,
                   partition: int | None = None) -> asyncio.Future:
        self.sent.append((key, value, dict(headers)))
        self.partitions.append(partition)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future

    async def send_many(self, outputs: list[Any]) -> list[asyncio.Future]:
        return [await self.send(key=o.key, value=o.value, headers=list(o.headers),
                                partition=o.partition) for o in outputs]


class Table(dict):
    """The fold's table surface (TableWriter) over a dict; records the order of writes.

    As a dict it maps SKU keys to values; each partition also keeps its own copy of every key
    (the configuration key is written to each partition)."""

    def __init__(self, journal: list[str], name: str) -> None:
        super().__init__()
        self.journal, self.name = journal, name
        self.partitions: dict[int, dict[bytes, bytes]] = {}

    def get(self, partition: int, key: bytes) -> bytes | None:  # type: ignore[override]
        return self.partitions.get(partition, {}).get(key)

    def keys(self, partition: int | None = None):  # type: ignore[override]
        if partition is None:
            return super().keys()
        return list(self.partitions.get(partition, {}))

    def items_with_prefix(self, partition: int, prefix: bytes) -> list[tuple[bytes, bytes]]:
        return sorted((key, value) for key, value in self.partitions.get(partition, {}).items()
                      if key.startswith(prefix) and value is not None)

    async def write(self, partition: int, items: list[tuple[bytes, bytes | None]]) -> None:
        self.journal.append(self.name)
        for key, value in items:
            self.partitions.setdefault(partition, {})[key] = value
            if not key.startswith(b"\x00"):
                self[key] = value


class Fixture:
    def __init__(self) -> None:
        self.journal: list[str] = []
        self.stock = Table(self.journal, "stock")
        self.event_ids = Table(self.journal, "event-ids")
        self.orders = Table(self.journal, "orders")
        self.dlq, self.rejected, self.records, self.commands = Topic(), Topic(), Topic(), Topic()
        self.log = Topic()  # stock-events itself: the window ticks the fold writes
        self.fold = StockFold(codec=default_codec(), stock_table=self.stock,
                              event_ids_table=self.event_ids, orders_table=self.orders,
                              topics=FoldTopics(dlq=self.dlq, rejected=self.rejected,
                                                records=self.records, commands=self.commands,
                                                log=self.log),
                              partitions=PARTITIONS)
        self.offsets: dict[int, int] = {}

    def message(self, value: bytes, key: bytes | None, partition: int | None = None) -> Event:
        if partition is None:
            partition = (murmur2(key or b"") & 0x7FFFFFFF) % PARTITIONS
        offset = self.offsets.get(partition, 0)
        self.offsets[partition] = offset + 1
        return Event(Message(key, value, partition, offset))

    def event(self, event: Any) -> Event:
        return self.message(default_codec().encode(event), event.merchant_sku.encode())

    def process(self, events: list[Event]) -> None:
        asyncio.run(self.fold.process(events))

    def in_stock(self, sku: str) -> int:
        return decode_stored(self.stock[sku.encode()]).stock.warehouse("WH-1").in_stock


def stock_in(n: int, qty: int, sku: str = "SKU-1") -> StockReceivedManually:
    return StockReceivedManually(event_id=f"e-{n}", merchant_sku=sku, warehouse_id="WH-1",
                                 occurred_at=T0 + n, source="test", qty=qty)


@pytest.fixture
def fx() -> Fixture:
    return Fixture()


def test_a_batch_is_folded_per_sku_in_log_order(fx: Fixture) -> None:
    """Events of one SKU in one batch are applied in order and stored once."""
    fx.process([fx.event(stock_in(1, 5)), fx.event(stock_in(2, 7))])
    assert 12 == fx.in_stock("SKU-1")
    assert 1 == fx.journal.count("stock")


def test_a_redelivered_batch_changes_nothing(fx: Fixture) -> None:
    """The same messages delivered again are skipped by their offsets."""
    batch = [fx.event(stock_in(1, 5)), fx.event(stock_in(2, 7))]
    fx.process(batch)
    fx.process(batch)
    assert (12, 2, 2) == (fx.in_stock("SKU-1"), fx.fold.counters.applied,
                          fx.fold.counters.redelivered_skipped)


def test_a_republished_event_id_is_rejected_as_duplicate(fx: Fixture) -> None:
    """The same event published twice (two offsets) is applied once."""
    fx.process([fx.event(stock_in(1, 5))])
    fx.process([fx.event(stock_in(1, 5))])
    assert 5 == fx.in_stock("SKU-1")
    assert [b"DUPLICATE_EVENT"] == [h["stocksync.rejection"] for _, _, h in fx.rejected.sent]


def test_garbage_is_dead_lettered_with_its_bytes_and_error(fx: Fixture) -> None:
    """Undecodable bytes go to the DLQ unchanged, with the error in headers."""
    fx.process([fx.message(b"\x00garbage", b"SKU-1")])
    ((key, value, headers),) = fx.dlq.sent
    assert (b"SKU-1", b"\x00garbage") == (key, value)
    assert headers["stocksync.error"] and b"BadHeaderError" == headers["stocksync.error_type"]


def test_a_key_that_is_not_the_sku_is_rejected(fx: Fixture) -> None:
    """A message keyed by something other than its merchant SKU is rejected, not folded."""
    value = default_codec().encode(stock_in(1, 5))
    fx.process([fx.message(value, b"OTHER-KEY")])
    assert [b"KEY_MISMATCH"] == [h["stocksync.rejection"] for _, _, h in fx.rejected.sent]
    assert {} == dict(fx.stock)


@pytest.mark.parametrize("sku", ["", "\x00config", "L" * 1001])
def test_a_sku_the_stock_table_cannot_hold_is_rejected(fx: Fixture, sku: str) -> None:
    """Empty, longer than 1,000 bytes, or one of the table's own keys (the partition's config
    snapshot lives under "\\x00config"): rejected, and nothing is stored under it."""
    fx.process([fx.event(stock_in(1, 5, sku=sku)), fx.event(stock_in(2, 5))])
    assert [b"INVALID_SKU"] == [h["stocksync.rejection"] for _, _, h in fx.rejected.sent]
    assert sku.encode() not in fx.stock and 5 == fx.in_stock("SKU-1")


def test_a_warehouse_beyond_the_quantity_limit_is_rejected(fx: Fixture) -> None:
    """Two stock-ins of 2**62 would hold 2**63 units, beyond Avro's long: the second one is
    rejected, and the state can still be stored."""
    fx.process([fx.event(stock_in(1, 10**15)), fx.event(stock_in(2, 2**62))])
    assert [b"QUANTITY_OUT_OF_RANGE"] == [h["stocksync.rejection"]
                                          for _, _, h in fx.rejected.sent]
    assert 10**15 == fx.in_stock("SKU-1")


def test_a_message_on_the_wrong_partition_is_rejected(fx: Fixture) -> None:
    """A SKU's events must all be on its murmur2 partition, or its state would split."""
    right = (murmur2(b"SKU-1") & 0x7FFFFFFF) % PARTITIONS
    value = default_codec().encode(stock_in(1, 5))
    fx.process([fx.message(value, b"SKU-1", partition=(right + 1) % PARTITIONS)])
    assert [b"WRONG_PARTITION"] == [h["stocksync.rejection"] for _, _, h in fx.rejected.sent]


def test_a_misplaced_copy_is_rejected_in_a_batch_that_also_has_the_right_one(fx: Fixture) -> None:
    """The hostile campaign found this: once a batch had the key on its own partition, its
    copies on other partitions were folded unchecked."""
    right = (murmur2(b"SKU-1") & 0x7FFFFFFF) % PARTITIONS
    fx.process([fx.event(stock_in(1, 5)),
                fx.message(default_codec().encode(stock_in(2, 7)), b"SKU-1",
                           partition=(right + 1) % PARTITIONS)])
    assert [b"WRONG_PARTITION"] == [h["stocksync.rejection"] for _, _, h in fx.rejected.sent]
    assert 5 == fx.in_stock("SKU-1")


def test_a_fault_in_the_fold_rejects_the_event_and_the_fold_goes_on(
    fx: Fixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception from the domain for one event rejects it as FOLD_ERROR; the rest apply."""
    real_apply = stock_fold.apply

    def faulty(state: Any, event: Any) -> Any:
        if event.event_id == "e-2":
            raise ZeroDivisionError("boom")
        return real_apply(state, event)

    monkeypatch.setattr(stock_fold, "apply", faulty)
    fx.process([fx.event(stock_in(1, 5)), fx.event(stock_in(2, 7)), fx.event(stock_in(3, 1))])
    assert 6 == fx.in_stock("SKU-1")
    assert [b"FOLD_ERROR"] == [h["stocksync.rejection"] for _, _, h in fx.rejected.sent]


def test_outputs_are_sent_before_state_is_written(fx: Fixture) -> None:
    """A rejection is acknowledged before the state that includes its offset is stored."""
    order: list[str] = []
    original_send = fx.rejected.send

    async def recording_send(**kwargs: Any) -> asyncio.Future:
        order.append("rejected")
        return await original_send(**kwargs)

    fx.rejected.send = recording_send  # type: ignore[method-assign]
    fx.journal = order
    fx.stock.journal = fx.event_ids.journal = order
    removal = StockRemovedManually(event_id="e-9", merchant_sku="SKU-1", warehouse_id="WH-1",
                                   occurred_at=T0, source="test", qty=3)
    fx.process([fx.event(removal)])
    assert ["rejected", "event-ids", "stock"] == order
