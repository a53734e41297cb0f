"""Tumbling-window dedup per listing on log time: SKIPPED markers and PENDING pushes."""

from __future__ import annotations

import dataclasses

import pytest

from stocksync.domain.dedup import (
    admit,
    admit_all,
    close,
    close_all,
    close_all_due,
    close_due,
    window_start,
)
from stocksync.domain.listings import ListingState, OpenWindow, SkuListings
from stocksync.domain.sync import SyncRecord, SyncStatus

from .builders import SKU
from .push_builders import record

PENDING, SKIPPED = SyncStatus.PENDING, SyncStatus.SKIPPED


def skipped(replaced: SyncRecord, by: SyncRecord) -> SyncRecord:
    return dataclasses.replace(replaced, status=SKIPPED, superseded_by=by.record_id)


def admitted(*records: SyncRecord, window_ms: int = 1000) -> tuple[ListingState, list[SyncRecord]]:
    """The listing state after `records`, and everything they emitted."""
    state, emitted = ListingState(), list[SyncRecord]()
    for each in records:
        state, out = admit(state, each, window_ms)
        emitted += out
    return state, emitted


def test_a_hundred_triggers_in_one_window_push_only_the_last() -> None:
    """100 records of one listing within one window: 99 SKIPPED, each superseded by the next,
    and one PENDING, the 100th, with its quantity, when the window closes."""
    # records 0..99 with quantities 100..199, log times 5000..5099 (window [5000, 6000))
    records = [record(n, 5000 + n, after_qty=100 + n) for n in range(100)]
    state, emitted = admitted(*records)
    # nothing is pushed before the window closes
    _, closed = close_due(state, 6000)
    expected_skipped = [skipped(records[n], records[n + 1]) for n in range(99)]
    assert expected_skipped == emitted
    assert [records[99]] == list(closed)
    assert (PENDING, 199) == (closed[0].status, closed[0].after_qty)


def test_a_record_of_a_later_window_closes_the_open_one() -> None:
    """A record in the next window emits the open window's record as PENDING and opens its own."""
    # r1 at 1500 ([1000, 2000)), r2 at 2000 ([2000, 3000))
    r1, r2 = record(1, 1500), record(2, 2000)
    state, emitted = admitted(r1, r2)
    assert [r1] == emitted
    assert ListingState(0, OpenWindow(2000, 3000, r2)) == state


def test_windows_are_aligned_on_log_time() -> None:
    """999 and 1000 fall in different windows; 1000 and 1999 in the same."""
    # the start of the window of some log times
    assert [0, 1000, 1000, 2000] == [window_start(t) for t in (999, 1000, 1999, 2000)]
    # two records at 999 and 1000: the first is pushed
    r1, r2 = record(1, 999), record(2, 1000)
    assert [r1] == admitted(r1, r2)[1]


def test_the_window_length_is_configurable() -> None:
    """With 5 s windows, records 4 s apart in one window dedup."""
    # r1 at 10000, r2 at 14000: one 5000 ms window
    r1, r2 = record(1, 10000), record(2, 14000)
    assert [skipped(r1, r2)] == admitted(r1, r2, window_ms=5000)[1]


def test_a_window_length_must_be_positive() -> None:
    """admit raises ValueError for a window of 0 ms."""
    # a 0 ms window
    with pytest.raises(ValueError):
        admit(ListingState(), record(1, 0), 0)


def test_close_due_closes_a_window_only_once_its_end_is_reached() -> None:
    """A window [1000, 2000) stays open at watermark 1999 and closes at 2000."""
    # r1 at 1200
    r1 = record(1, 1200, after_qty=7)
    state, _ = admitted(r1)
    # at watermark 1999: still open
    assert (state, ()) == close_due(state, 1999)
    # at watermark 2000: r1 is pushed and the listing remembers its quantity
    assert (ListingState(7), (r1,)) == close_due(state, 2000)


def test_close_due_without_an_open_window_changes_nothing() -> None:
    """close_due and close of a listing without an open window return it as it is."""
    # a listing with a last quantity but no window
    state = ListingState(3)
    assert (state, ()) == close_due(state, 10**12)
    assert (state, ()) == close(state)


def test_a_record_after_a_closed_window_opens_a_new_one() -> None:
    """Once a window is closed, the next record opens a new window and replaces nothing."""
    # r1 at 100, closed at 1000; r2 at 1100
    r1, r2 = record(1, 100), record(2, 1100)
    state, _ = admitted(r1)
    state, _ = close_due(state, 1000)
    state, emitted = admit(state, r2)
    assert (ListingState(0, OpenWindow(1000, 2000, r2)), ()) == (state, emitted)


def test_an_earlier_log_time_joins_the_open_window() -> None:
    """A record whose log time went back before the open window replaces that window's record."""
    # r1 at 2500 opens [2000, 3000); r2 at 1800 arrives after it
    r1, r2 = record(1, 2500), record(2, 1800)
    state, emitted = admitted(r1, r2)
    assert [skipped(r1, r2)] == emitted
    assert OpenWindow(2000, 3000, r2) == state.window


def test_the_listing_remembers_the_last_after_qty() -> None:
    """After admit the listing's last after qty is the admitted record's, skipped or not."""
    # r1 (qty 4) then r2 (qty 9) in one window
    state, _ = admitted(record(1, 0, after_qty=4), record(2, 1, after_qty=9))
    assert 9 == state.last_after_qty


def test_admit_all_keeps_a_window_per_listing() -> None:
    """Records of two listings in one window do not replace each other."""
    # a1 and a2 of S1 each get two records at 0 and 10
    r1, r2 = record(1, 0, store_sku="a1"), record(2, 0, store_sku="a2")
    r3, r4 = record(3, 10, store_sku="a1"), record(4, 10, store_sku="a2")
    listings, emitted = admit_all(SkuListings.empty(SKU), [r1, r2, r3, r4])
    assert (skipped(r1, r3), skipped(r2, r4)) == emitted
    # both windows end at 1000
    assert 1000 == listings.next_window_end()
    assert (r3, r4) == close_all_due(listings, 1000)[1]


def test_close_all_due_leaves_windows_that_have_not_ended() -> None:
    """close_all_due closes the ended windows only; close_all closes every window."""
    # a1's window [0, 1000), a2's [1000, 2000)
    r1, r2 = record(1, 500, store_sku="a1"), record(2, 1500, store_sku="a2")
    listings, _ = admit_all(SkuListings.empty(SKU), [r1, r2])
    # at watermark 1500 only a1's window has ended
    listings, closed = close_all_due(listings, 1500)
    assert ((r1,), 2000) == (closed, listings.next_window_end())
    # close_all closes a2's too
    listings, closed = close_all(listings)
    assert ((r2,), None) == (closed, listings.next_window_end())
    # nothing left to close
    assert (listings, ()) == close_all(listings)


def test_admit_all_refuses_a_record_of_another_sku() -> None:
    """admit_all raises ValueError for a record of another merchant SKU."""
    # a PEAR record admitted to APPLE's listings
    with pytest.raises(ValueError):
        admit_all(SkuListings.empty(SKU), [record(1, 0, sku="PEAR")])


def test_skipped_by_changes_the_status_and_superseded_by_only() -> None:
    """`skipped_by` spells every field out (for speed): it must equal `dataclasses.replace`
    field for field, on a record whose fields all differ."""
    from stocksync.domain.events import Reason
    from stocksync.domain.sync import Cause, FailureCode

    values = {field.name: f"v-{field.name}" for field in dataclasses.fields(SyncRecord)}
    values.update(sync_time=1, log_time=2, before_qty=3, movement=4, after_qty=5,
                  reason=Reason.SYNC_ORDER, cause=Cause("e", "t", 6, 7),
                  status=SyncStatus.FAILED, failure_code=FailureCode.VALIDATION)
    original = SyncRecord(**values)
    assert dataclasses.replace(original, status=SKIPPED, superseded_by="r-2") == \
        original.skipped_by("r-2")
