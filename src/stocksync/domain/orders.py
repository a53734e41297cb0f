"""Orders as the stock fold tracks them, and `OrderBook`, the persistent map that holds them.

Bookings are kept per order, so that a void after a shipment or a repeated cancel changes nothing
twice. An order is BOOKED while it holds units; it leaves BOOKED exactly once per booking (cancel,
shipment or void) and records the event time when it did, which is what pruning looks at.
"""

from __future__ import annotations

import enum
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

_NEVER = 2**63  # "no closed order": later than every event time
_T = TypeVar("_T")


class OrderState(str, enum.Enum):
    BOOKED = "BOOKED"
    CANCELLED = "CANCELLED"
    SHIPPED = "SHIPPED"
    VOID = "VOID"


@dataclass(frozen=True, slots=True)
class Order:
    warehouse_id: str  # where the booking is (or was) held
    qty: int
    state: OrderState
    closed_at: int | None = None  # event time (ms) when it left BOOKED; None while BOOKED


class OrderBook(Mapping[str, Order]):
    """An immutable map order_id -> Order; `set` and `pruned` return new books sharing the rest.

    Orders are spread over shards by a deterministic hash of the id (crc32), so an update copies
    one small shard and the tuple of shards instead of every order of a busy SKU. Each shard keeps
    a lower bound of its closed orders' `closed_at`; `pruned` is a single comparison until the
    oldest closed order is due, and then rebuilds only the shards holding due orders.
    Shards double as the book grows and never shrink (no resharding back and forth around a
    size), so iteration order depends on the book's history: books with equal items are equal,
    but a serialiser that wants canonical bytes should sort by order id.
    Treat the attributes as read-only: older states share them.
    """

    __slots__ = ("_shards", "_oldest", "_due", "_size")

    _shards: tuple[dict[str, Order], ...]
    _oldest: tuple[int, ...]  # per shard: <= every closed_at in that shard
    _due: int  # min(_oldest)
    _size: int

    def __init__(self, orders: Mapping[str, Order] | Iterable[tuple[str, Order]] = ()) -> None:
        items = dict(orders)
        shards: list[dict[str, Order]] = [{} for _ in range(_shard_count_for(len(items)))]
        for order_id, order in items.items():
            shards[_shard_of(order_id, len(shards))][order_id] = order
        _fill(self, tuple(shards), tuple(_oldest_closed_at(s) for s in shards), len(items))

    def __getitem__(self, order_id: str) -> Order:
        return self._shards[_shard_of(order_id, len(self._shards))][order_id]

    def get(  # type: ignore[override]
        self, order_id: str, default: Order | None = None
    ) -> Order | None:
        return self._shards[_shard_of(order_id, len(self._shards))].get(order_id, default)

    def __contains__(self, order_id: object) -> bool:
        if not isinstance(order_id, str):
            return False
        return order_id in self._shards[_shard_of(order_id, len(self._shards))]

    def __iter__(self) -> Iterator[str]:
        for shard in self._shards:
            yield from shard

    def __len__(self) -> int:
        return self._size

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OrderBook) and len(other._shards) == len(self._shards):
            return self._shards == other._shards  # same shard count, so same layout
        return super().__eq__(other)

    def __repr__(self) -> str:
        return f"OrderBook({dict(sorted(self.items()))!r})"

    def __reduce__(self) -> tuple[type[OrderBook], tuple[dict[str, Order]]]:
        return (OrderBook, (dict(self.items()),))

    def set(self, order_id: str, order: Order) -> OrderBook:
        """A book in which `order_id` maps to `order`."""
        count = len(self._shards)
        index = _shard_of(order_id, count)
        shard = self._shards[index]
        size = self._size if order_id in shard else self._size + 1
        if size > _SHARD_TARGET * count and count < _MAX_SHARDS:
            return _resharded(self, _shard_count_for(size)).set(order_id, order)
        shard = {**shard, order_id: order}
        shards = (shard,) if count == 1 else _replaced(self._shards, index, shard)
        oldest, due = self._oldest, self._due
        if order.closed_at is not None and order.closed_at < oldest[index]:
            oldest = _replaced(oldest, index, order.closed_at)
            due = min(due, order.closed_at)
        return _fill(object.__new__(OrderBook), shards, oldest, size, due)

    def pruned(self, cutoff: int) -> OrderBook:
        """This book without the orders closed before `cutoff` (event time, ms)."""
        if self._due >= cutoff:
            return self
        shards, oldest, size = list(self._shards), list(self._oldest), self._size
        for index, bound in enumerate(self._oldest):
            if bound < cutoff:
                kept = {k: o for k, o in shards[index].items() if not _closed_before(o, cutoff)}
                size -= len(shards[index]) - len(kept)
                shards[index], oldest[index] = kept, _oldest_closed_at(kept)
        return _fill(object.__new__(OrderBook), tuple(shards), tuple(oldest), size)


_SHARD_TARGET = 32  # orders per shard before the shard count doubles
_MAX_SHARDS = 256


def _shard_count_for(size: int) -> int:
    count = 1
    while size > _SHARD_TARGET * count and count < _MAX_SHARDS:
        count *= 2
    return count


def _shard_of(order_id: str, shard_count: int) -> int:
    if shard_count == 1:
        return 0
    return zlib.crc32(order_id.encode()) & (shard_count - 1)


def _closed_before(order: Order, cutoff: int) -> bool:
    return order.closed_at is not None and order.closed_at < cutoff


def _oldest_closed_at(shard: dict[str, Order]) -> int:
    return min((o.closed_at for o in shard.values() if o.closed_at is not None), default=_NEVER)


def _replaced(items: tuple[_T, ...], index: int, item: _T) -> tuple[_T, ...]:
    return items[:index] + (item,) + items[index + 1 :]


def _resharded(book: OrderBook, shard_count: int) -> OrderBook:
    shards: list[dict[str, Order]] = [{} for _ in range(shard_count)]
    for order_id, order in book.items():
        shards[_shard_of(order_id, shard_count)][order_id] = order
    oldest = tuple(_oldest_closed_at(s) for s in shards)
    return _fill(object.__new__(OrderBook), tuple(shards), oldest, len(book))


def _fill(
    book: OrderBook,
    shards: tuple[dict[str, Order], ...],
    oldest: tuple[int, ...],
    size: int,
    due: int | None = None,
) -> OrderBook:
    book._shards, book._oldest, book._size = shards, oldest, size
    book._due = min(oldest) if due is None else due
    return book


EMPTY_ORDER_BOOK = OrderBook()
