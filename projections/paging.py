"""Cursor paging over history records, newest first, for any record with a log time and an id.

    first = page(records, record_filter, None, 50)
    second = page(records, record_filter, first.next_cursor, 50)
    merged = merge_pages([page_of_worker_1, page_of_worker_2], 50)   # scatter, then gather

- The order is (log_time, record_id) descending: a total order, as record ids are unique.
- A cursor is the sort key of the last item served, JSON in urlsafe base64 without padding. The
  next page holds the items strictly after it in that order, so records that arrive between two
  requests with a newer key never shift the pages still to come, and no record is served twice.
- `merge_pages` merges the pages that workers served for the same request (each sorted, each
  from its own partitions) into the page a single worker holding everything would have served;
  its `next_cursor` is the cursor to send to every worker for the next page.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from stocksync.projections.query_errors import QueryError

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
PAGING_PARAMETERS = frozenset({"cursor", "limit"})

SortKey = tuple[int, str]
_NOT_A_CURSOR = "not a cursor of this query (send next_cursor as it was given)"


class HistoryItem(Protocol):
    """What paging needs of a record: sync records and sync log entries both have it."""

    @property
    def log_time(self) -> int: ...

    @property
    def record_id(self) -> str: ...


T = TypeVar("T", bound=HistoryItem)
T_contra = TypeVar("T_contra", contravariant=True)


class Filter(Protocol[T_contra]):
    def matches(self, item: T_contra, /) -> bool: ...


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Items newest first; `next_cursor` is None when nothing follows them."""

    items: tuple[T, ...]
    next_cursor: str | None = None


def sort_key(item: HistoryItem) -> SortKey:
    return (item.log_time, item.record_id)


def encode_cursor(key: SortKey) -> str:
    data = json.dumps([key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str) -> SortKey:
    """The sort key in `cursor`; QueryError if it is not a cursor."""
    try:
        data = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        log_time, record_id = json.loads(data)
    except (binascii.Error, ValueError, TypeError):
        raise QueryError("cursor", _NOT_A_CURSOR) from None
    if type(log_time) is not int or not isinstance(record_id, str):
        raise QueryError("cursor", _NOT_A_CURSOR)
    return (log_time, record_id)


def page(items: Iterable[T], where: Filter[T], cursor: str | None, limit: int) -> Page[T]:
    """The `limit` newest items that `where` matches, after `cursor` (None: from the newest)."""
    _check_limit(limit)
    after = decode_cursor(cursor) if cursor is not None else None
    candidates = (item for item in items
                  if (after is None or sort_key(item) < after) and where.matches(item))
    found = heapq.nlargest(limit + 1, candidates, key=sort_key)
    return _page_of(found, limit, more=False)


def page_of_newest_first(items: Iterable[T], where: Filter[T], limit: int) -> Page[T]:
    """As `page`, for items that come newest first and after the cursor already (a reverse
    index scan): reads only as many as the page needs."""
    _check_limit(limit)
    found = list(itertools.islice((item for item in items if where.matches(item)), limit + 1))
    return _page_of(found, limit, more=False)


def merge_pages(
    pages: Iterable[Page[T]], limit: int, combine: Callable[[T, T], T] | None = None
) -> Page[T]:
    """One page from the pages several workers served for the same request, each newest first.
    An item served by two workers (same log time and id: a rebalance) appears once, `combine`d
    (default: the first served)."""
    _check_limit(limit)
    pages = list(pages)
    merged = newest_first(page.items for page in pages)
    found = list(itertools.islice(_deduplicated(merged, combine), limit + 1))
    return _page_of(found, limit, more=any(p.next_cursor is not None for p in pages))


def newest_first(runs: Iterable[Iterable[T]]) -> Iterator[T]:
    """A k-way merge of runs that are each newest first."""
    return heapq.merge(*runs, key=sort_key, reverse=True)


def limit_from_query(
    params: Mapping[str, str], default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT
) -> int:
    """`limit=` (1..maximum), or `default`."""
    value = params.get("limit")
    if value is None:
        return default
    if not value.isdigit() or not 1 <= int(value) <= maximum:
        raise QueryError("limit", f"{value!r} is not a whole number from 1 to {maximum}")
    return int(value)


def _page_of(found: list[T], limit: int, more: bool) -> Page[T]:
    items = tuple(found[:limit])
    has_next = bool(items) and (len(found) > limit or more)
    return Page(items, encode_cursor(sort_key(items[-1])) if has_next else None)


def _deduplicated(items: Iterable[T], combine: Callable[[T, T], T] | None) -> Iterator[T]:
    for _, group in itertools.groupby(items, key=sort_key):
        first, *others = group
        for other in others:
            first = combine(first, other) if combine is not None else first
        yield first


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
