"""Tumbling-window dedup per listing on log time: within a window only the last record is pushed.

Windows are aligned, [start, start + window_ms) with start = log_time - log_time % window_ms, and
measured on the time a trigger reached the log, never on a worker's clock.

    state, emitted = admit(state, record, window_ms)   # SKIPPED markers and closed windows' PENDING
    state, emitted = close_due(state, watermark)        # PENDING of a window ending <= watermark

- A record in the open window replaces its latest: the replaced one is emitted SKIPPED,
  `superseded_by` the newcomer.
- A record of a later window first closes the open one (its record emitted as it is: PENDING, a
  push command), then opens its own.
- A record older than the open window (log time went back) joins the open window.

What is emitted depends on the records and their order only, provided no watermark passed to
`close_due` exceeds the log time of a record still to be admitted: a window whose end is at or
before such a watermark could not have received that record anyway. As log append time only
grows per partition, the log time of the record being processed (or the latest one seen on the
listing's partition) is such a watermark. Should the broker's clock step back, a window closed
at a watermark beyond a later record's log time cannot take that record any more: it opens a new
window instead, so closing early must then happen at the same log positions to give the same
output (as `push_replay` does: at each event of the SKU, at its log time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from stocksync.domain.listings import ListingState, OpenWindow, SkuListings
from stocksync.domain.sync import SyncRecord

DEFAULT_WINDOW_MS = 1000

Emitted = tuple[SyncRecord, ...]
_Closer = Callable[[ListingState], tuple[ListingState, Emitted]]


def window_start(log_time: int, window_ms: int = DEFAULT_WINDOW_MS) -> int:
    """The start of the aligned window holding `log_time`."""
    return log_time - log_time % window_ms


def admit(
    state: ListingState, record: SyncRecord, window_ms: int = DEFAULT_WINDOW_MS
) -> tuple[ListingState, Emitted]:
    """`state` after `record` of its listing, and what that emits."""
    if window_ms <= 0:
        raise ValueError(f"window_ms must be positive, not {window_ms}")
    window = state.window
    start = window_start(record.log_time, window_ms)
    if window is None:
        return ListingState(record.after_qty, OpenWindow(start, start + window_ms, record)), ()
    if start <= window.start:
        skipped = window.latest.skipped_by(record.record_id)
        return ListingState(record.after_qty, OpenWindow(window.start, window.end, record)), (
            skipped,
        )
    opened = OpenWindow(start, start + window_ms, record)
    return ListingState(record.after_qty, opened), (window.latest,)


def close_due(state: ListingState, watermark: int) -> tuple[ListingState, Emitted]:
    """`state` with its window closed if it ends at or before `watermark`, and what that emits."""
    window = state.window
    if window is None or window.end > watermark:
        return state, ()
    return ListingState(state.last_after_qty), (window.latest,)


def close(state: ListingState) -> tuple[ListingState, Emitted]:
    """`state` with its window closed, whenever it ends (end of a replay or what-if run)."""
    if state.window is None:
        return state, ()
    return ListingState(state.last_after_qty), (state.window.latest,)


def admit_all(
    listings: SkuListings, records: Iterable[SyncRecord], window_ms: int = DEFAULT_WINDOW_MS
) -> tuple[SkuListings, Emitted]:
    """`admit` each record, in order, to the state of its listing of one merchant SKU."""
    states = dict(listings.listings)
    emitted: list[SyncRecord] = []
    for record in records:
        if record.merchant_sku != listings.merchant_sku:
            raise ValueError(
                f"record of {record.merchant_sku!r} admitted to {listings.merchant_sku!r}"
            )
        key = (record.store_id, record.store_sku)
        states[key], out = admit(states.get(key) or ListingState(), record, window_ms)
        emitted.extend(out)
    return SkuListings(listings.merchant_sku, states), tuple(emitted)


def close_all_due(listings: SkuListings, watermark: int) -> tuple[SkuListings, Emitted]:
    """`close_due` every listing of one merchant SKU; emitted sorted by listing."""
    end = listings.next_window_end()
    if end is None or end > watermark:
        return listings, ()
    return _closing(listings, lambda state: close_due(state, watermark))


def close_all(listings: SkuListings) -> tuple[SkuListings, Emitted]:
    """`close` every listing of one merchant SKU; emitted sorted by listing."""
    if listings.next_window_end() is None:
        return listings, ()
    return _closing(listings, close)


def _closing(listings: SkuListings, closer: _Closer) -> tuple[SkuListings, Emitted]:
    states = dict(listings.listings)
    emitted: list[SyncRecord] = []
    for key in sorted(states):
        states[key], out = closer(states[key])
        emitted.extend(out)
    return SkuListings(listings.merchant_sku, states), tuple(emitted)
