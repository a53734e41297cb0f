"""The fold agent's push path, with in-memory twins of faust's tables and topics."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal

from stocksync.domain.events import MappingAction, MappingChanged, StockReceivedManually
from stocksync.domain.sync import Store, SyncRule, SyncStatus
from stocksync.schemas.push_codec import (
    ConfigSnapshot,
    RefreshRequested,
    WindowTick,
    decode_sync_record,
    encode_control,
)
from tests.streams.test_stock_fold import T0, Event, Fixture, Message

SKU = "PUSH-1"
STORES = (Store("S1", "Shop One", "shopee"), Store("S2", "Shop Two", "lazada"))


def snapshot(version: int, percent: str = "100") -> ConfigSnapshot:
    rule = SyncRule("R1", frozenset({"WH-1"}), frozenset({"S1", "S2"}), Decimal(percent))
    return ConfigSnapshot(f"config-{version}", version, STORES, (rule,))


def control(fx: Fixture, message: ConfigSnapshot | RefreshRequested, partition: int,
            at_ms: int) -> Event:
    offset = fx.offsets.get(partition, 0)
    fx.offsets[partition] = offset + 1
    return Event(Message(None, encode_control(message), partition, offset, at_ms / 1000))


def close_idle(fx: Fixture, now_ms: int, partition: int) -> None:
    """The idle timer at `now_ms`: the tick it writes, folded back at that log time, closes
    the partition's due windows."""
    before = len(fx.log.sent)
    asyncio.run(fx.fold.tick_idle_partitions(now_ms, [partition]))
    for (_, value, _), sent_to in zip(fx.log.sent[before:], fx.log.partitions[before:]):
        assert sent_to == partition
        offset = fx.offsets.get(partition, 0)
        fx.offsets[partition] = offset + 1
        fx.process([Event(Message(None, value, partition, offset, now_ms / 1000))])


def event_at(fx: Fixture, event, at_ms: int) -> Event:
    faust_event = fx.event(event)
    faust_event.message.timestamp = at_ms / 1000
    return faust_event


def mapping(n: int, store_id: str, store_sku: str) -> MappingChanged:
    return MappingChanged(event_id=f"m-{n}", merchant_sku=SKU, warehouse_id="WH-1",
                          occurred_at=T0 + n, source="test", store_id=store_id,
                          store_sku=store_sku, action=MappingAction.ADD)


def stock_in(n: int, qty: int) -> StockReceivedManually:
    return StockReceivedManually(event_id=f"in-{n}", merchant_sku=SKU, warehouse_id="WH-1",
                                 occurred_at=T0 + n, source="test", qty=qty)


def _partition() -> int:
    from stocksync.streams.fold_io import partition_of
    from tests.streams.test_stock_fold import PARTITIONS

    return partition_of(SKU.encode(), PARTITIONS)


def sent_records(topic) -> list:
    return [decode_sync_record(value) for _, value, _ in topic.sent]


def test_a_burst_in_one_window_pushes_only_the_last_record() -> None:
    """Triggers within one window: every earlier record SKIPPED, the last one pushed when the
    window closes on the watermark."""
    fx = Fixture()
    p = _partition()
    # Step 1: the configuration arrives, then a listing is mapped (window 1 s).
    fx.process([control(fx, snapshot(1), p, T0), event_at(fx, mapping(1, "S1", "S1-A"), T0)])
    # Step 2: 10 stock-ins within the window [T0+1000, T0+2000).
    fx.process([event_at(fx, stock_in(n, 1), T0 + 1000 + n) for n in range(10)])
    # Step 3: an idle watermark past the window's end closes it.
    close_idle(fx, T0 + 3000, p)
    records = sent_records(fx.records)
    skipped = [r for r in records if r.status is SyncStatus.SKIPPED]
    pushed = [r for r in records if r.status is SyncStatus.PENDING]
    # The mapping's own record (first window) is pushed, then 9 skipped and 1 pushed.
    assert (9, 2) == (len(skipped), len(pushed))
    assert 10 == pushed[-1].after_qty
    assert [r.record_id for r in pushed] == [decode_sync_record(v).record_id
                                             for _, v, _ in fx.commands.sent]
    # The history is keyed by record id but lives on the SKU's partition.
    assert {p} == set(fx.records.partitions)


def test_a_config_change_repushes_affected_listings_once() -> None:
    """A new rule version re-pushes every mapped listing of its stores; the same version
    redelivered changes nothing."""
    fx = Fixture()
    p = _partition()
    fx.process([control(fx, snapshot(1), p, T0), event_at(fx, mapping(1, "S1", "S1-A"), T0),
                event_at(fx, stock_in(2, 152), T0 + 5)])
    close_idle(fx, T0 + 5000, p)
    before = len(fx.commands.sent)
    # Step 1: the rule drops to 30 %: the listing is pushed again, with 45.
    change = control(fx, snapshot(2, percent="30"), p, T0 + 6000)
    fx.process([change])
    close_idle(fx, T0 + 9000, p)
    repushed = [decode_sync_record(v) for _, v, _ in fx.commands.sent[before:]]
    assert [45] == [r.after_qty for r in repushed]
    # Step 2: the same snapshot again (redelivered or relayed twice): nothing new.
    fx.process([control(fx, snapshot(2, percent="30"), p, T0 + 9500)])
    close_idle(fx, T0 + 12000, p)
    assert before + 1 == len(fx.commands.sent)


def test_a_refresh_request_pushes_every_listing_of_the_partition() -> None:
    """RefreshRequested pushes the current quantity to every mapped listing."""
    fx = Fixture()
    p = _partition()
    fx.process([control(fx, snapshot(1), p, T0), event_at(fx, mapping(1, "S1", "S1-A"), T0),
                event_at(fx, mapping(2, "S2", "S2-A"), T0), event_at(fx, stock_in(3, 7), T0)])
    close_idle(fx, T0 + 5000, p)
    before = len(fx.commands.sent)
    fx.process([control(fx, RefreshRequested("refresh-1"), p, T0 + 6000)])
    close_idle(fx, T0 + 9000, p)
    refreshed = sorted((r.store_sku, r.after_qty, r.reason.value)
                       for r in (decode_sync_record(v) for _, v, _ in fx.commands.sent[before:]))
    assert [("S1-A", 7, "REFRESH_INVENTORY"), ("S2-A", 7, "REFRESH_INVENTORY")] == refreshed


def test_redelivered_triggers_emit_no_second_record() -> None:
    """A redelivered batch is skipped by offset: no new records, no new commands."""
    fx = Fixture()
    p = _partition()
    fx.process([control(fx, snapshot(1), p, T0), event_at(fx, mapping(1, "S1", "S1-A"), T0)])
    batch = [event_at(fx, stock_in(n, 1), T0 + 1000 + n) for n in range(3)]
    fx.process(batch)
    sent = len(fx.records.sent)
    fx.process(batch)
    assert sent == len(fx.records.sent)


def test_windows_close_at_the_ticks_position_in_the_log_not_on_the_clock() -> None:
    """The idle timer only writes a tick; the window closes when the tick is folded, at the
    tick's log time. A tick logged before the window's end closes nothing."""
    fx = Fixture()
    p = _partition()
    fx.process([control(fx, snapshot(1), p, T0), event_at(fx, mapping(1, "S1", "S1-A"), T0),
                event_at(fx, stock_in(2, 5), T0 + 1500)])
    pushed = len(fx.commands.sent)
    asyncio.run(fx.fold.tick_idle_partitions(T0 + 3000, [p]))
    asyncio.run(fx.fold.tick_idle_partitions(T0 + 3050, [p]))  # one tick at a time
    assert 1 == len(fx.log.sent) and [p] == fx.log.partitions
    assert pushed == len(fx.commands.sent)  # nothing closed on the clock
    # The same tick, had the broker logged it before the window's end: still open.
    tick = fx.log.sent[0][1]
    fx.process([control_bytes(fx, tick, p, T0 + 1999)])
    assert pushed == len(fx.commands.sent)
    fx.process([control_bytes(fx, tick, p, T0 + 2000)])
    assert [5] == [decode_sync_record(v).after_qty for _, v, _ in fx.commands.sent[pushed:]]


def test_the_same_log_cut_into_other_batches_emits_the_same_records() -> None:
    """What a replay relies on: batches are cut by timing, the output depends on the log."""
    def run(batch_size: int) -> list:
        fx = Fixture()
        p = _partition()
        log = [control(fx, snapshot(1), p, T0), event_at(fx, mapping(1, "S1", "S1-A"), T0),
               event_at(fx, mapping(2, "S2", "S2-A"), T0 + 10)]
        log += [event_at(fx, stock_in(10 + n, n + 1), T0 + 300 * n) for n in range(12)]
        log.insert(9, control_bytes(fx, encode_control(WindowTick("t-1")), p, T0 + 2100))
        for start in range(0, len(log), batch_size):
            fx.process(log[start:start + batch_size])
        return [(r.record_id, r.status, r.superseded_by) for r in sent_records(fx.records)]

    whole = run(100)
    assert whole == run(1) == run(4)
    assert {SyncStatus.SKIPPED, SyncStatus.PENDING} == {status for _, status, _ in whole}


def control_bytes(fx: Fixture, value: bytes, partition: int, at_ms: int) -> Event:
    offset = fx.offsets.get(partition, 0)
    fx.offsets[partition] = offset + 1
    return Event(Message(None, value, partition, offset, at_ms / 1000))


def _sku_on(partition: int, than: str) -> str:
    """Another merchant SKU on `partition`."""
    from stocksync.streams.fold_io import partition_of
    from tests.streams.test_stock_fold import PARTITIONS

    return next(sku for n in range(1000) if (sku := f"{than}-{n}") != than
                and partition_of(sku.encode(), PARTITIONS) == partition)


def test_windows_ended_before_a_batch_are_sent_before_it_is_folded() -> None:
    """A window that ended before a batch's first message goes out ahead of the batch's own
    records (latency: its push command does not wait for the batch's fold), and a SKU whose
    window so closed folds on from the closed state: each record once."""
    fx = Fixture()
    p = _partition()
    other = _sku_on(p, SKU)
    fx.process([control(fx, snapshot(1), p, T0), event_at(fx, mapping(1, "S1", "S1-A"), T0)])
    fx.process([event_at(fx, stock_in(2, 5), T0 + 1500)])  # window [T0+1000, T0+2000)
    before = len(fx.records.sent)
    # Step 1: the next batch starts past the window's end; its other SKU's burst emits SKIPPED.
    burst = [dataclasses.replace(mapping(3, "S1", "S1-B"), merchant_sku=other)]
    burst += [dataclasses.replace(stock_in(4 + n, 1), merchant_sku=other) for n in range(3)]
    fx.process([event_at(fx, event, T0 + 2100 + n) for n, event in enumerate(burst)]
               + [event_at(fx, stock_in(9, 2), T0 + 2200)])
    records = sent_records(fx.records)[before:]
    assert (SKU, SyncStatus.PENDING, 5) == (records[0].merchant_sku, records[0].status,
                                            records[0].after_qty)
    assert {other} == {r.merchant_sku for r in records[1:]}
    # Step 2: later windows close; every record of SKU was sent once, the last pushed with 7.
    close_idle(fx, T0 + 5000, p)
    mine = [r for r in sent_records(fx.records) if r.merchant_sku == SKU]
    assert len(mine) == len({r.record_id for r in mine})
    assert 7 == [r for r in mine if r.status is SyncStatus.PENDING][-1].after_qty
