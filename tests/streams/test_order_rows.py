"""A SKU's orders live in rows of their own: a batch writes only the orders it changed, and a
SKU value that was not written after its rows (a crash in between) still reads its orders."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stocksync.domain.events import OrderStatus, OrderSynced, SaleShipped, StockReceivedManually
from stocksync.domain.orders import OrderBook
from stocksync.streams.order_entries import changed_orders, orders_prefix
from stocksync.streams.state_codec import StoredStock, encode_stored
from stocksync.streams.stock_fold import StockFold
from tests.streams.test_stock_fold import T0, Event, Fixture

SKU = "ROWS-1"
DAY_MS = 24 * 3600 * 1000


def envelope(n: int, at: int | None = None) -> dict[str, Any]:
    return {"event_id": f"r-{n}", "merchant_sku": SKU, "warehouse_id": "WH-1",
            "occurred_at": T0 + n if at is None else at, "source": "test"}


def stock_in(n: int, qty: int, at: int | None = None) -> StockReceivedManually:
    return StockReceivedManually(qty=qty, **envelope(n, at))


def booked(n: int, order_id: str) -> OrderSynced:
    return OrderSynced(order_id=order_id, store_id="S1", qty=1, order_status=OrderStatus.NEW,
                       **envelope(n))


def shipped(n: int, order_id: str) -> SaleShipped:
    return SaleShipped(qty=1, order_id=order_id, **envelope(n))


def first_batches(fx: Fixture) -> list[list[Event]]:
    return [[fx.event(stock_in(0, 100))] + [fx.event(booked(n, f"O{n}")) for n in range(1, 51)],
            [fx.event(shipped(51, "O7")), fx.event(booked(52, "O52"))]]


def restarted(fx: Fixture) -> StockFold:
    """A new fold over the same tables: what a worker that restarts finds."""
    return StockFold(codec=fx.fold._codec, stock_table=fx.stock, event_ids_table=fx.event_ids,
                     orders_table=fx.orders, topics=fx.fold._topics, partitions=4)


def state(fold: StockFold) -> StoredStock:
    """The SKU's state as the fold reads it (no listings and empty listings alike)."""
    stored = fold._load(SKU.encode())
    assert stored is not None
    return StoredStock(stored.applied_offset, stored.stock, stored.listings_or_empty())


def order_rows_of(fx: Fixture) -> dict[bytes, bytes]:
    prefix = orders_prefix(SKU.encode())
    return {key: value for part in fx.orders.partitions.values()
            for key, value in part.items() if key.startswith(prefix) and value is not None}


def test_a_batch_writes_only_the_orders_it_changed() -> None:
    fx = Fixture()
    written: list[int] = []
    write = fx.orders.write

    async def counting(partition: int, items: list) -> None:
        written.append(len(items))
        await write(partition, items)

    fx.orders.write = counting  # type: ignore[method-assign]
    for batch in first_batches(fx):
        fx.process(batch)
    assert [50, 2] == written
    assert 51 == len(order_rows_of(fx))


def test_a_restarted_fold_reads_the_orders_from_their_rows() -> None:
    fx = Fixture()
    for batch in first_batches(fx):
        fx.process(batch)
    before = state(fx.fold)
    fold = restarted(fx)
    assert before == state(fold)
    assert 51 == len(state(fold).stock.orders)


def test_a_crash_between_the_rows_and_the_value_leaves_the_orders_of_the_value() -> None:
    """Rows written, value not: the restarted fold reads the orders as of the value, and
    folding the redelivered batch again ends where a fold without the crash ends."""
    reference, fx = Fixture(), Fixture()
    batches = first_batches(fx)
    for batch in first_batches(reference):
        reference.process(batch)
    fx.process(batches[0])
    after_first = state(fx.fold)

    async def crash(partition: int, items: list) -> None:
        raise ConnectionError("the worker died before the value was written")

    write_stock = fx.stock.write
    fx.stock.write = crash  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        fx.process(batches[1])
    fx.stock.write = write_stock  # type: ignore[method-assign]
    fold = restarted(fx)
    assert after_first == state(fold), "the rows of the lost batch must not show"
    asyncio.run(fold.process(batches[1]))
    assert state(reference.fold) == state(fold)


def test_forgotten_orders_lose_their_rows() -> None:
    """An order closed longer ago than the retention is pruned from the state; its row says so
    in that batch and is deleted with the next one."""
    fx = Fixture()
    fx.process([fx.event(stock_in(0, 10)), fx.event(booked(1, "OLD"))])
    fx.process([fx.event(shipped(2, "OLD"))])
    assert 1 == len(order_rows_of(fx))
    fx.process([fx.event(stock_in(3, 1, at=T0 + 31 * DAY_MS))])
    assert "OLD" not in state(fx.fold).stock.orders
    assert 1 == len(order_rows_of(fx)), "the row saying it is gone stays until the value is"
    fx.process([fx.event(stock_in(4, 1, at=T0 + 31 * DAY_MS))])
    assert {} == order_rows_of(fx)
    assert state(fx.fold) == state(restarted(fx))


def test_a_value_that_still_holds_its_orders_moves_them_to_rows() -> None:
    """A SKU value written before orders had rows keeps working, and its next write moves its
    orders into rows."""
    fx = Fixture()
    for batch in first_batches(fx):
        fx.process(batch)
    stored = state(fx.fold)
    legacy = encode_stored(stored, with_orders=True)
    fresh = Fixture()
    partition = next(p for p, part in fx.stock.partitions.items() if SKU.encode() in part)
    asyncio.run(fresh.stock.write(partition, [(SKU.encode(), legacy)]))
    fold = restarted(fresh)
    assert stored == state(fold)
    fresh.offsets = dict(fx.offsets)
    asyncio.run(fold.process([fresh.event(shipped(60, "O8"))]))
    assert 51 == len(order_rows_of(fresh))
    assert state(fold) == state(restarted(fresh))


def test_changes_are_found_across_a_reshard() -> None:
    small = OrderBook()
    for n in range(10):
        small = small.set(f"O{n}", _order())
    grown = small
    for n in range(10, 200):
        grown = grown.set(f"O{n}", _order())
    assert {f"O{n}" for n in range(10, 200)} == {oid for oid, _, _ in changed_orders(small, grown)}
    assert [] == list(changed_orders(grown, grown))


def _order() -> Any:
    from stocksync.domain.orders import Order, OrderState

    return Order(warehouse_id="WH-1", qty=1, state=OrderState.BOOKED)
