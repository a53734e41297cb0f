"""Record queries: filters from HTTP parameters return exactly the matching records."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from stocksync.domain.events import Reason
from stocksync.domain.sync import FailureCode, SyncRecord, SyncStatus
from stocksync.projections.paging import page
from stocksync.projections.queries import (
    RecordFilter,
    count,
    filter_from_query,
    filter_to_query,
    matches,
)
from stocksync.projections.query_errors import QueryError
from stocksync.projections.time_ranges import TimeRange

from .histories import (
    CONDITIONS,
    TIMES,
    as_query,
    conditions,
    failed,
    histories,
    record,
    reference_query,
)

modest = settings(max_examples=120, deadline=None)
NOW = 1_714_500_000_000
TZ = "Asia/Jakarta"


def everything(records: list[SyncRecord], where: RecordFilter, limit: int = 7) -> list[SyncRecord]:
    """Every page of the query, in the order served."""
    served: list[SyncRecord] = []
    cursor = None
    while True:
        current = page(records, where, cursor, limit)
        served += current.items
        if current.next_cursor is None:
            return served
        cursor = current.next_cursor


# log times on the grid of the conditions' since/until: records at either bound are common
on_the_grid = histories(min_size=5, log_times=TIMES)


@modest
@given(history=on_the_grid, wanted=conditions())
def test_a_query_returns_exactly_what_a_plain_filter_keeps(
    history: list[SyncRecord], wanted: dict[str, Any]
) -> None:
    """Parameters parsed, matched and paged give the records a plain-Python filter keeps, newest
    first; since at or after until is refused instead."""
    # the operator's query, as HTTP parameters
    params = as_query(wanted)
    since, until = wanted["since"], wanted["until"]
    if since is not None and until is not None and since >= until:
        with pytest.raises(QueryError) as error:
            filter_from_query(params, NOW, TZ)
        assert "since" == error.value.parameter
        return
    # parsed and served page by page
    where = filter_from_query(params, NOW, TZ)
    # the same as the reference, in the same order
    assert reference_query(history, wanted) == everything(history, where)
    assert len(reference_query(history, wanted)) == count(history, where)


@modest
@given(wanted=conditions(max_conditions=len(CONDITIONS)))
def test_a_filter_survives_its_query_parameters(wanted: dict[str, Any]) -> None:
    """filter_to_query gives parameters that parse back to the same filter."""
    # a valid filter
    if None not in (wanted["since"], wanted["until"]) and wanted["since"] >= wanted["until"]:
        wanted = {**wanted, "until": None}
    where = filter_from_query(as_query(wanted), NOW, TZ)
    # through its parameters and back
    assert where == filter_from_query(filter_to_query(where), NOW + 99_999, "UTC")


def test_every_parameter_narrows_the_query() -> None:
    """Each parameter sets its field; lists, case and trigger numbers are understood."""
    # every parameter at once
    params = {
        "merchant_sku": "APPLE", "store_id": "S1", "store_sku": "a,1", "marketplace": "Shopee",
        "status": "failed, Pending", "reason": "8,push_now", "failure_reason": "auth_expired",
        "since": "1000", "until": "2000", "cursor": "ignored here", "limit": "5",
    }  # fmt: skip
    expected = RecordFilter(
        merchant_sku="APPLE", store_id="S1", store_sku="a,1", marketplace="Shopee",
        statuses=frozenset({SyncStatus.FAILED, SyncStatus.PENDING}),
        reasons=frozenset({Reason.STOCK_OUT_SALE, Reason.PUSH_NOW}),
        failure_codes=frozenset({FailureCode.AUTH_EXPIRED}), time_range=TimeRange(1000, 2000),
    )  # fmt: skip
    assert expected == filter_from_query(params, NOW, TZ)


def test_no_parameter_matches_everything() -> None:
    """Without parameters the filter matches any record."""
    # a failed record of another listing
    assert RecordFilter() == filter_from_query({}, NOW, TZ)
    assert matches(failed(1, store_id="S3", store_sku="zz"), RecordFilter())


def test_failure_reason_matches_failed_records_with_that_code_only() -> None:
    """failure_reason=RATE_LIMITED finds the records failed with that code, nothing else."""
    # one record failed with each of two codes, and a pending one
    limited, expired = failed(1, FailureCode.RATE_LIMITED), failed(2, FailureCode.AUTH_EXPIRED)
    where = filter_from_query({"failure_reason": "RATE_LIMITED"}, NOW, TZ)
    assert [True, False, False] == [matches(r, where) for r in (limited, expired, record(3))]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "DONE"}, "status"),
        ({"status": "FAILED,"}, "status"),
        ({"reason": "18"}, "reason"),
        ({"reason": "STOCK_IN"}, "reason"),
        ({"failure_reason": "BROKEN"}, "failure_reason"),
        ({"store_id": " "}, "store_id"),
        ({"since": "2024-13-01"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2024-05-02", "until": "2024-05-01"}, "since"),
        ({"since": "2000", "until": "2000"}, "since"),
        ({"range": "year"}, "range"),
        ({"range": "today", "since": "2024-05-01"}, "range"),
        ({"stauts": "FAILED"}, "stauts"),
    ],
)
def test_a_bad_parameter_is_named(params: dict[str, str], parameter: str) -> None:
    """Each bad parameter gives a QueryError naming it."""
    # parse the bad query
    with pytest.raises(QueryError) as error:
        filter_from_query(params, NOW, TZ)
    assert parameter == error.value.parameter


def test_an_unknown_symbol_lists_the_known_ones() -> None:
    """The message of an unknown status names the statuses there are."""
    # a status BigSeller does not have
    with pytest.raises(QueryError) as error:
        filter_from_query({"status": "done"}, NOW, TZ)
    assert "'done' is not one of PENDING, SKIPPED, SUCCESSFULLY, FAILED" == error.value.message


def test_the_caller_may_allow_parameters_of_its_own() -> None:
    """also_allowed parameters are left to the caller rather than refused."""
    # the HTTP layer's own parameter
    assert RecordFilter() == filter_from_query({"format": "csv"}, NOW, TZ, also_allowed=["format"])


def test_since_is_included_and_until_excluded() -> None:
    """A record logged at `since` matches; one logged at `until` does not."""
    # records at 1000, 1999 and 2000
    where = filter_from_query({"since": "1000", "until": "2000"}, NOW, TZ)
    assert [True, True, False] == [matches(record(n, t), where)
                                   for n, t in enumerate((1000, 1999, 2000))]
