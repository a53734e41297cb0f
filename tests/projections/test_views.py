"""The Push Record view per store SKU and the Sync Recording view per merchant SKU."""

from __future__ import annotations

import random
from functools import reduce

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.sync import FailureCode, SyncRecord, SyncStatus
from stocksync.projections.sync_history import merge_all
from stocksync.projections.views import (
    ListingHistory,
    SkuSummary,
    apply_to_listing,
    apply_to_summary,
    prune,
    retention_cutoff,
)

from .histories import BASE, histories, record, with_status

modest = settings(max_examples=80, deadline=None)
SKIPPED, PENDING, FAILED, OK = (SyncStatus.SKIPPED, SyncStatus.PENDING, SyncStatus.FAILED,
                                SyncStatus.SUCCESSFULLY)
DAY = 24 * 3600 * 1000


def listing(*records: SyncRecord, limit: int = 100) -> ListingHistory | None:
    return reduce(lambda view, r: apply_to_listing(view, r, limit), records, None)


def summary(*records: SyncRecord) -> SkuSummary | None:
    return reduce(apply_to_summary, records, None)


def test_the_101st_record_pushes_the_oldest_out() -> None:
    """A store SKU keeps its latest 100 records: the 101st drops the first."""
    # 101 records, one per second
    records = [record(n, BASE + n * 1000) for n in range(101)]
    view = listing(*records)
    assert view is not None
    assert tuple(records[1:]) == view.records
    # a record older than all 100 kept does not get in
    assert view == apply_to_listing(view, record(9999, BASE - 1))


def test_a_small_bound_is_kept_too() -> None:
    """With limit 3, the view holds the 3 latest by log time, whatever the arrival order."""
    # five records arriving out of order
    r = [record(n, BASE + n) for n in range(5)]
    view = listing(r[3], r[0], r[4], r[1], r[2], limit=3)
    assert ListingHistory("S1", "a1", (r[2], r[3], r[4])) == view


def test_the_last_push_is_the_latest_record_not_skipped() -> None:
    """SKIPPED records were never pushed: the last push qty and status are those of the latest
    other record, PENDING included."""
    # a success, a newer pending push, and a newer skipped record
    pushed = record(1, BASE, status=OK, after_qty=7)
    queued = record(2, BASE + 10, status=PENDING, after_qty=8)
    skipped = record(3, BASE + 20, status=SKIPPED, after_qty=9)
    view = listing(pushed, skipped, queued)
    assert view is not None
    assert (queued, 8, PENDING, queued.sync_time) == (
        view.last_push, view.last_push_qty, view.last_push_status, view.last_push_time)
    # the connector reports the queued push failed
    view = apply_to_listing(view, with_status(queued, FAILED, FailureCode.TIMEOUT))
    assert (8, FAILED) == (view.last_push_qty, view.last_push_status)


def test_a_history_of_skipped_records_only_has_no_last_push() -> None:
    """Without a record that was pushed, there is no last push."""
    # one skipped record
    view = listing(record(1, status=SKIPPED))
    assert view is not None
    assert (None, None, None) == (view.last_push, view.last_push_qty, view.last_push_status)


def test_a_pending_record_does_not_replace_its_outcome() -> None:
    """The connector's outcome arriving before the fold's PENDING stays."""
    # SUCCESSFULLY first, then the late PENDING of the same record
    done = record(1, status=OK)
    assert ListingHistory("S1", "a1", (done,)) == listing(done, record(1, status=PENDING))


def test_a_record_of_another_listing_is_refused() -> None:
    """Applying a record to the history of another store SKU is a bug: ValueError."""
    # a history of a1, a record of a2
    view = listing(record(1))
    with pytest.raises(ValueError):
        apply_to_listing(view, record(2, store_sku="a2"))


def updates(records: list[SyncRecord]) -> list[SyncRecord]:
    """Each record as the fold writes it (PENDING, or SKIPPED), then its outcome if it has one."""
    out = []
    for r in records:
        out.append(with_status(r, SKIPPED if r.status is SKIPPED else PENDING))
        if r.status in (OK, FAILED):
            out.append(r)
    return out


@modest
@given(history=histories(max_size=30), limit=st.integers(1, 8), seed=st.randoms())
def test_the_listing_view_is_the_same_in_any_order_and_with_repeats(
    history: list[SyncRecord], limit: int, seed: random.Random
) -> None:
    """Shuffled and partly repeated updates give the view of the final records, the `limit`
    latest, for every listing."""
    # every update, some twice, in any order
    messages = updates(history)
    messages += seed.sample(messages, len(messages) // 3)
    seed.shuffle(messages)
    final = merge_all(messages).values()
    for key in {(r.store_id, r.store_sku) for r in history}:
        # the view of this listing against the latest `limit` of its final records
        mine = sorted((r for r in final if (r.store_id, r.store_sku) == key),
                      key=lambda r: (r.log_time, r.record_id))
        view = listing(*(m for m in messages if (m.store_id, m.store_sku) == key), limit=limit)
        assert ListingHistory(*key, tuple(mine[-limit:])) == view


def test_the_sku_summary_is_the_latest_sync() -> None:
    """The latest trigger's records make the summary; qty, time and status come from its
    greatest record id."""
    # an old trigger e1, then trigger e2 syncing to two stores
    old = record(1, BASE, status=OK, after_qty=3)
    to_s1 = record(2, BASE + 50, after_qty=5, event="e2")
    to_s2 = record(3, BASE + 50, store_id="S2", after_qty=6, event="e2", status=FAILED,
                   failure_code=FailureCode.AUTH_EXPIRED)
    view = summary(to_s2, old, to_s1)
    assert SkuSummary("APPLE", to_s2, frozenset({"r0002", "r0003"})) == view
    assert view is not None
    assert (6, to_s2.sync_time, FAILED, "APPLE title") == (
        view.last_sync_qty, view.last_sync_time, view.last_sync_status, view.title)


# few log times and triggers, so that triggers share a millisecond and records a trigger
few_triggers = histories(max_size=30, log_times=st.integers(BASE, BASE + 2), events=("e1", "e2"))


@modest
@given(history=st.one_of(histories(max_size=30), few_triggers), seed=st.randoms())
def test_the_sku_summary_is_the_same_in_any_order_and_with_repeats(
    history: list[SyncRecord], seed: random.Random
) -> None:
    """Shuffled and repeated updates give the summary of the latest trigger's final records."""
    # every update, some twice, in any order
    messages = updates(history)
    messages += seed.sample(messages, len(messages) // 2)
    seed.shuffle(messages)
    final = merge_all(messages).values()
    for sku in {r.merchant_sku for r in history}:
        mine = [r for r in final if r.merchant_sku == sku]
        # the latest trigger by (log time, event id), its record with the greatest id
        trigger = max((r.log_time, r.cause.event_id) for r in mine)
        latest_sync = [r for r in mine if (r.log_time, r.cause.event_id) == trigger]
        expected = SkuSummary(sku, max(latest_sync, key=lambda r: r.record_id),
                              frozenset(r.record_id for r in latest_sync))
        assert expected == summary(*(m for m in messages if m.merchant_sku == sku))


def test_retention_prunes_old_records_from_every_view() -> None:
    """With a 2-day retention, records logged before now - 2 days leave the listing history, and
    a summary whose latest sync is older disappears."""
    # records 3, 2 and 1 days old; now is BASE + 3 days
    now = BASE + 3 * DAY
    r0, r1, r2 = record(0, now - 3 * DAY), record(1, now - 2 * DAY), record(2, now - DAY)
    cutoff = retention_cutoff(now, 2 * DAY)
    # the listing keeps the two within retention (the one exactly at the cutoff included)
    assert ListingHistory("S1", "a1", (r1, r2)) == prune(listing(r0, r1, r2), cutoff)
    # a summary of a recent sync stays, one of an old sync goes
    recent = summary(r0, r2)
    assert recent == prune(recent, cutoff)
    assert None is prune(summary(r0), cutoff)


def test_a_listing_with_every_record_pruned_disappears() -> None:
    """Pruning every record of a history leaves no view."""
    # one record, cut off after it
    assert None is prune(listing(record(1, BASE)), BASE + 1)


def test_prune_refuses_what_is_not_a_view() -> None:
    """prune of anything else is a TypeError."""
    # a record is not a view
    with pytest.raises(TypeError):
        prune(record(1), BASE)
