"""Properties of dedup over random record logs: what is emitted depends on the log only."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.dedup import admit_all, close_all, close_all_due, window_start
from stocksync.domain.listings import SkuListings
from stocksync.domain.sync import SyncRecord, SyncStatus

from .builders import SKU
from .push_builders import record

modest = settings(max_examples=150, deadline=None)

Emitted = dict[str, list[SyncRecord]]  # by store SKU, in emitted order

# (log time step, store SKU, after qty): time mostly moves on, sometimes back (a broker clock
# stepping back), across a few windows of the lengths drawn below
steps = st.lists(
    st.tuples(st.integers(min_value=-300, max_value=1500), st.sampled_from(("a1", "a2", "a3")),
              st.integers(min_value=0, max_value=50)),
    max_size=40,
)
window_lengths = st.sampled_from((1, 7, 250, 1000))


def log_of(drawn: list[tuple[int, str, int]]) -> list[SyncRecord]:
    """Records r0, r1, ... at the drawn log times (starting at 10 000), listings and quantities."""
    log, at = [], 10_000
    for n, (step, store_sku, qty) in enumerate(drawn):
        at += step
        log.append(record(n, at, after_qty=qty, store_sku=store_sku))
    return log


def by_listing(emitted: list[SyncRecord]) -> Emitted:
    grouped: Emitted = defaultdict(list)
    for each in emitted:
        grouped[each.store_sku].append(each)
    return dict(grouped)


def without_early_closing(log: list[SyncRecord], window_ms: int) -> tuple[SkuListings, Emitted]:
    """Admit every record, then close every window at the end."""
    listings, emitted = admit_all(SkuListings.empty(SKU), log, window_ms)
    listings, closed = close_all(listings)
    return listings, by_listing([*emitted, *closed])


@modest
@given(steps, window_lengths, st.data())
def test_closing_early_emits_the_same_records(
    drawn: list[tuple[int, str, int]], window_ms: int, data: st.DataObject
) -> None:
    """Closing windows at any watermarks that never pass the log time of a record still to come
    emits the same SKIPPED markers and PENDING records, per listing in the same order, as closing
    only at the end."""
    # a random log of records of three listings
    log = log_of(drawn)
    # closing only at the end
    expected = without_early_closing(log, window_ms)
    # closing at random watermarks before each record and at the end; a watermark never passes
    # a later record's log time (with log time only growing: the next record's)
    listings, emitted = SkuListings.empty(SKU), list[SyncRecord]()
    for position, each in enumerate([*log, None]):
        highest = min((r.log_time for r in log[position:]), default=10**9)
        for watermark in data.draw(st.lists(st.integers(-5000, highest), max_size=3)):
            listings, closed = close_all_due(listings, watermark)
            emitted += closed
        if each is not None:
            listings, admitted = admit_all(listings, [each], window_ms)
            emitted += admitted
    listings, closed = close_all(listings)
    assert expected == (listings, by_listing([*emitted, *closed]))


@modest
@given(steps, window_lengths)
def test_every_record_is_emitted_once_and_the_last_of_each_run_is_pushed(
    drawn: list[tuple[int, str, int]], window_ms: int
) -> None:
    """Each record is emitted exactly once: SKIPPED, superseded by the listing's next record,
    when that one joins its window; PENDING otherwise."""
    # a random log of records of three listings, closed at the end
    log = log_of(drawn)
    _, emitted = without_early_closing(log, window_ms)
    expected: Emitted = defaultdict(list)
    for store_sku in {r.store_sku for r in log}:
        own = [r for r in log if r.store_sku == store_sku]
        # the window start of each record: a record before its window's start joins that window
        opened: int | None = None
        for this, following in zip(own, [*own[1:], None], strict=True):
            if opened is None:
                opened = window_start(this.log_time, window_ms)
            if following is not None and window_start(following.log_time, window_ms) <= opened:
                expected[store_sku].append(dataclasses.replace(
                    this, status=SyncStatus.SKIPPED, superseded_by=following.record_id))
            else:
                expected[store_sku].append(this)
                opened = None
    assert dict(expected) == emitted
