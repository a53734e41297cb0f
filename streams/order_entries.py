"""A SKU's orders as rows of their own (the orders table), so that a batch writes only the
orders it changed instead of re-encoding every order a busy SKU keeps for 30 days.

Each row says which batch wrote it and what the order was before (state_codec.OrderEntry), so
that a SKU value written after its rows (or not at all: a crash in between) still reads the
orders of the offset it has applied.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from stocksync.domain.stock import Order, OrderBook
from stocksync.streams.state_codec import OrderEntry, decode_order_entry, encode_order_entry


def orders_prefix(sku_key: bytes) -> bytes:
    """The prefix of a SKU's rows: its length first, so no SKU's rows sort among another's."""
    return len(sku_key).to_bytes(2, "big") + sku_key


def order_key(sku_key: bytes, order_id: str) -> bytes:
    return orders_prefix(sku_key) + order_id.encode()


def changed_orders(before: OrderBook, after: OrderBook) -> Iterator[tuple[str, Order | None,
                                                                          Order | None]]:
    """(order id, order after, order before) for every order that differs. Books share the
    shards a change did not touch, so only the copied shards are compared."""
    if len(before._shards) == len(after._shards):
        pairs: Iterable[tuple[dict[str, Order], dict[str, Order]]] = (
            (old, new) for old, new in zip(before._shards, after._shards) if old is not new)
    else:
        pairs = ((dict(before.items()), dict(after.items())),)
    for old, new in pairs:
        for order_id, order in new.items():
            previous = old.get(order_id)
            if previous is not order and previous != order:
                yield order_id, order, previous
        for order_id, previous in old.items():
            if order_id not in new:
                yield order_id, None, previous


def order_rows(sku_key: bytes, batch_offset: int, before: OrderBook, after: OrderBook
               ) -> tuple[list[tuple[bytes, bytes]], list[bytes]]:
    """The rows a batch that took a SKU's orders from `before` to `after` writes, and the keys
    of those that only say an order was forgotten (deletable once the SKU's value is written)."""
    rows, forgotten = [], []
    for order_id, order, previous in changed_orders(before, after):
        key = order_key(sku_key, order_id)
        rows.append((key, encode_order_entry(OrderEntry(batch_offset, order_id, order, previous))))
        if order is None:
            forgotten.append(key)
    return rows, forgotten


def orders_as_of(rows: Iterable[tuple[bytes, bytes]], applied_offset: int
                 ) -> tuple[dict[str, Order], list[bytes]]:
    """The orders a SKU value that has applied `applied_offset` has, from its rows; and the
    keys of rows that only say an order was forgotten (deletable)."""
    orders: dict[str, Order] = {}
    forgotten: list[bytes] = []
    for key, raw in rows:
        entry = decode_order_entry(raw)
        order = entry.as_of(applied_offset)
        if order is not None:
            orders[entry.order_id] = order
        elif entry.batch_offset <= applied_offset:
            forgotten.append(key)
    return orders, forgotten
