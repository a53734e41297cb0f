"""Product, order, customer and refund sync logs: merged, filtered, paged and re-synced as sync
records are."""

from __future__ import annotations

import pytest

from stocksync.projections.paging import page
from stocksync.projections.query_errors import QueryError
from stocksync.projections.retry import NotRetryable, Refusal, Selection
from stocksync.projections.sync_logs import (
    LogFilter,
    ResyncTarget,
    SubjectSummary,
    SyncLogKind,
    SyncLogStatus,
    apply_entry,
    log_filter_from_query,
    log_filter_to_query,
    merge_entry,
    merge_resync_selections,
    prune_subject,
    resync_selection,
)
from stocksync.projections.time_ranges import TimeRange

from .histories import BASE, entry

NOW = BASE + 10_000


def test_statuses_merge_by_attempt_then_rank() -> None:
    """PROCESSING replaces PENDING, a late PENDING never replaces SYNCED, a re-sync's PENDING
    replaces the failure it retries."""
    # attempt 1: pending, processing, failed; attempt 2: pending
    pending, processing = entry("o1"), entry("o1", status="PROCESSING")
    failure = entry("o1", status="FAILED", failure_code="VALIDATION")
    retried = entry("o1", attempt=2)
    assert processing == merge_entry(pending, processing)
    assert processing == merge_entry(processing, pending)
    assert retried == merge_entry(failure, retried)
    assert retried == merge_entry(retried, failure)


def test_a_log_query_filters_by_kind_status_reason_store_and_time() -> None:
    """Parameters of the log pages select exactly the matching entries."""
    # a failed order, a synced order, a failed refund of another store, an old failed product
    entries = [
        entry("o1", status="FAILED", failure_code="VALIDATION", log_time=BASE + 3),
        entry("o2", status="SYNCED", log_time=BASE + 2),
        entry("f1", kind="REFUND", status="FAILED", failure_code="timeout", store_id="S2",
              log_time=BASE + 1),
        entry("p1", kind="PRODUCT", status="FAILED", failure_code="INVALID_IMAGE",
              log_time=BASE - 10),
    ]  # fmt: skip
    params = {"kind": "order,refund", "status": "failed", "failure_reason": "VALIDATION,TIMEOUT",
              "since": str(BASE)}
    where = log_filter_from_query(params, NOW, "UTC")
    # newest first, through the same paging as sync records
    assert (entries[0], entries[2]) == page(entries, where, None, 10).items
    # one store only
    where = log_filter_from_query({"store_id": "S2", "marketplace": "LightSpeed"}, NOW, "UTC")
    assert (entries[2],) == page(entries, where, None, 10).items


def test_a_log_filter_survives_its_query_parameters() -> None:
    """log_filter_to_query parses back to the same filter."""
    # every field set
    where = LogFilter(kinds=frozenset({SyncLogKind.ORDER, SyncLogKind.CUSTOMER}), store_id="S1",
                      marketplace="lightspeed", subject_id="o1",
                      statuses=frozenset({SyncLogStatus.FAILED}),
                      failure_codes=frozenset({"TIMEOUT"}), time_range=TimeRange(1, 2))
    assert where == log_filter_from_query(log_filter_to_query(where), NOW, "UTC")


@pytest.mark.parametrize(
    ("params", "parameter"),
    [({"kind": "INVENTORY"}, "kind"), ({"status": "SKIPPED"}, "status"),
     ({"failure_reason": "A,,B"}, "failure_reason"), ({"range": "week", "until": "5"}, "range"),
     ({"reason": "SYNC_ORDER"}, "reason")],
)
def test_a_bad_log_parameter_is_named(params: dict[str, str], parameter: str) -> None:
    """Each bad parameter of a log query gives a QueryError naming it."""
    # parse the bad query
    with pytest.raises(QueryError) as error:
        log_filter_from_query(params, NOW, "UTC")
    assert parameter == error.value.parameter


def test_resync_selects_failed_entries_one_per_subject() -> None:
    """Two failed syncs of one order give one target at the next attempt; synced ones and
    unknown ids are refused."""
    # order o1 failed twice (entries a and b, attempts 1 and 2), o2 synced
    a = entry("o1", record_id="a", status="FAILED", failure_code="TIMEOUT")
    b = entry("o1", record_id="b", status="FAILED", failure_code="TIMEOUT", attempt=2)
    synced = entry("o2", status="SYNCED")
    entries = {e.record_id: e for e in (a, b, synced)}
    selection = resync_selection(entries, ids=["a", "b", synced.record_id, "zz"])
    expected = Selection(
        (ResyncTarget(SyncLogKind.ORDER, "S1", "o1", ("a", "b"), 3),),
        (NotRetryable("order-o2", Refusal.NOT_FAILED, "SYNCED"),
         NotRetryable("zz", Refusal.UNKNOWN)),
    )  # fmt: skip
    assert expected == selection
    # by filter: every failed order
    by_filter = resync_selection(entries, where=LogFilter(kinds=frozenset({SyncLogKind.ORDER})))
    assert expected.targets == by_filter.targets


def test_resync_by_a_filter_without_failed_is_refused() -> None:
    """status=SYNCED cannot select anything to re-sync: QueryError naming status."""
    # a filter on synced entries
    with pytest.raises(QueryError) as error:
        resync_selection({}, where=LogFilter(statuses=frozenset({SyncLogStatus.SYNCED})))
    assert "status" == error.value.parameter


def test_the_subject_summary_is_its_latest_entry_and_is_pruned() -> None:
    """A product's row shows its latest sync, its latest status; retention removes it."""
    # two syncs of product p1; the newer one goes PENDING -> SYNCED, then a late PENDING
    older = entry("p1", kind="PRODUCT", record_id="s1", status="FAILED", log_time=BASE)
    newer = entry("p1", kind="PRODUCT", record_id="s2", log_time=BASE + 5)
    synced = entry("p1", kind="PRODUCT", record_id="s2", status="SYNCED", log_time=BASE + 5)
    summary = None
    for each in (newer, synced, older, newer):
        summary = apply_entry(summary, each)
    assert SubjectSummary(SyncLogKind.PRODUCT, "S1", "p1", synced) == summary
    # pruned at a cutoff after its latest entry
    assert summary is not None
    assert summary == prune_subject(summary, BASE + 5)
    assert None is prune_subject(summary, BASE + 6)


def test_an_entry_of_another_subject_is_refused() -> None:
    """Applying an entry to another subject's summary is a ValueError."""
    # o1's summary, o2's entry
    with pytest.raises(ValueError):
        apply_entry(apply_entry(None, entry("o1")), entry("o2"))


def test_workers_resync_selections_merge() -> None:
    """Two workers naming the same subject give one target with both entries, at the later
    attempt; an id is unknown only if no worker knows it."""
    # worker 1 holds a (attempt 1), worker 2 holds b (attempt 2), both failed syncs of o1
    a = entry("o1", record_id="a", status="FAILED")
    b = entry("o1", record_id="b", status="FAILED", attempt=2)
    one = resync_selection({"a": a}, ids=["a", "b"])
    two = resync_selection({"b": b}, ids=["a", "b"])
    expected = Selection((ResyncTarget(SyncLogKind.ORDER, "S1", "o1", ("a", "b"), 3),))
    assert expected == merge_resync_selections([one, two])
