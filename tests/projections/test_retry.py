"""Bulk re-push of failed records: which listings, and which records are refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from stocksync.domain.sync import FailureCode, SyncRecord, SyncStatus
from stocksync.projections.queries import RecordFilter, filter_from_query
from stocksync.projections.query_errors import QueryError
from stocksync.projections.retry import (
    NotRetryable,
    Refusal,
    RetryTarget,
    Selection,
    merge_retry_selections,
    push_now_stores,
    select_for_retry,
)

from .histories import failed, histories, record

modest = settings(max_examples=80, deadline=None)
AUTH, LIMITED = FailureCode.AUTH_EXPIRED, FailureCode.RATE_LIMITED


def by_id(*records: SyncRecord) -> dict[str, SyncRecord]:
    return {r.record_id: r for r in records}


def test_failed_records_of_one_listing_make_one_target() -> None:
    """Two failed records of a1 and one of a2 give two listings; the success is not retried."""
    # r1, r2 failed on S1/a1, r3 failed on S1/a2, r4 succeeded on S1/a1
    records = by_id(failed(1), failed(2, LIMITED), failed(3, store_sku="a2"),
                    record(4, status=SyncStatus.SUCCESSFULLY))
    expected = Selection((RetryTarget("S1", "a1", "APPLE", ("r0001", "r0002")),
                          RetryTarget("S1", "a2", "APPLE", ("r0003",))))
    assert expected == select_for_retry(records, where=RecordFilter())


def test_by_ids_other_records_are_reported_not_retryable() -> None:
    """Ids of a success, a pending record and an unknown one are refused, each with why."""
    # r1 failed, r2 succeeded, r3 pending; r9 does not exist
    records = by_id(failed(1), record(2, status=SyncStatus.SUCCESSFULLY), record(3))
    selection = select_for_retry(records, ids=["r0003", "r0001", "r0009", "r0002", "r0001"])
    assert (RetryTarget("S1", "a1", "APPLE", ("r0001",)),) == selection.targets
    expected = (NotRetryable("r0002", Refusal.NOT_FAILED, "SUCCESSFULLY"),
                NotRetryable("r0003", Refusal.NOT_FAILED, "PENDING"),
                NotRetryable("r0009", Refusal.UNKNOWN))
    assert expected == selection.not_retryable
    assert "status PENDING: only FAILED records are retried" == expected[1].message


def test_by_filter_one_failure_reason() -> None:
    """failure_reason=AUTH_EXPIRED re-pushes the listings that failed so, across stores."""
    # S1/a1 failed with an expired token, S2/a1 too, S1/a2 was rate limited
    records = by_id(failed(1, AUTH), failed(2, AUTH, store_id="S2"),
                    failed(3, LIMITED, store_sku="a2"))
    where = filter_from_query({"failure_reason": "AUTH_EXPIRED"}, 0, "UTC")
    selection = select_for_retry(records, where=where)
    assert [("S1", "a1"), ("S2", "a1")] == [(t.store_id, t.store_sku) for t in selection.targets]
    # the caller publishes one PUSH_NOW per merchant SKU, for those stores
    assert {"APPLE": ("S1", "S2")} == push_now_stores(selection.targets)


def test_a_filter_that_excludes_failed_records_is_refused() -> None:
    """status=SUCCESSFULLY could select nothing to retry: a QueryError naming status."""
    # a filter on successes
    where = RecordFilter(statuses=frozenset({SyncStatus.SUCCESSFULLY}))
    with pytest.raises(QueryError) as error:
        select_for_retry(by_id(failed(1)), where=where)
    assert "status" == error.value.parameter


def test_ids_and_filter_are_exclusive() -> None:
    """Selecting by both, or by neither, is a ValueError."""
    # both, then neither
    with pytest.raises(ValueError):
        select_for_retry({}, ids=["r1"], where=RecordFilter())
    with pytest.raises(ValueError):
        select_for_retry({})


@modest
@given(history=histories(max_size=40))
def test_selection_is_the_failed_listings_exactly(history: list[SyncRecord]) -> None:
    """A target per listing with a failed record, naming exactly its failed records."""
    # select among everything
    selection = select_for_retry(by_id(*history), where=RecordFilter())
    expected: dict[tuple[str, str, str], list[str]] = {}
    for r in sorted(history, key=lambda r: r.record_id):
        if r.status is SyncStatus.FAILED:
            expected.setdefault((r.store_id, r.store_sku, r.merchant_sku), []).append(r.record_id)
    assert [RetryTarget(*key, tuple(ids)) for key, ids in sorted(expected.items())] == list(
        selection.targets)


def test_workers_answers_merge() -> None:
    """An id one worker does not know but another retries is not reported; one nobody knows is;
    a listing two workers both name (a rebalance) is one target with both records."""
    # worker 1 holds r1 (failed) and r2 (success); worker 2 holds r3, failed on the same listing
    ids = ["r0001", "r0002", "r0003", "r0009"]
    one = select_for_retry(by_id(failed(1), record(2, status=SyncStatus.SUCCESSFULLY)), ids=ids)
    two = select_for_retry(by_id(failed(3)), ids=ids)
    expected = Selection((RetryTarget("S1", "a1", "APPLE", ("r0001", "r0003")),),
                         (NotRetryable("r0002", Refusal.NOT_FAILED, "SUCCESSFULLY"),
                          NotRetryable("r0009", Refusal.UNKNOWN)))
    assert expected == merge_retry_selections([one, two])
