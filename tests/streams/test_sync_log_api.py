"""The sync-log API's pure parts without a broker: entries in JSON both ways, the checks of
POST /sync-logs and of a re-sync body, and the log time an entry takes from its message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stocksync.projections.query_errors import QueryError
from stocksync.projections.sync_logs import SyncLogEntry, SyncLogKind, SyncLogStatus
from stocksync.streams.http_errors import ApiError
from stocksync.streams.sync_log_api import (
    MAX_ENTRIES,
    entries_from_body,
    entry_from_json,
    entry_json,
    resync_ask,
)
from stocksync.streams.sync_log_projection import logged_entry
from tests.projections.histories import entry

NOW = 1_767_225_600_000  # 2026-01-01T00:00:00Z
NAMES = st.text(min_size=1, max_size=12).filter(str.strip)


@st.composite
def entries(draw: st.DrawFn) -> SyncLogEntry:
    status = draw(st.sampled_from(list(SyncLogStatus)))
    failed = status is SyncLogStatus.FAILED
    details = draw(st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8),
                                   max_size=3))
    return SyncLogEntry(
        record_id=draw(NAMES), kind=draw(st.sampled_from(list(SyncLogKind))),
        subject_id=draw(NAMES), store_id=draw(NAMES), marketplace=draw(NAMES), status=status,
        occurred_at=draw(st.integers(0, 1 << 62)), log_time=draw(st.integers(0, 1 << 62)),
        attempt=draw(st.integers(1, 50)),
        failure_code=draw(st.from_regex(r"[A-Z_]{1,10}", fullmatch=True)) if failed else None,
        failure_message=draw(st.none() | st.text(max_size=20)) if failed else None,
        details=tuple(sorted(details.items())),
    )


@given(entries())
def test_an_entry_survives_its_json(original: SyncLogEntry) -> None:
    """entry_json through a JSON text and back gives the same entry."""
    assert original == entry_from_json(json.loads(json.dumps(entry_json(original))))


def test_an_entry_in_json_has_its_fields_with_plain_values() -> None:
    failed = entry("o1", status="FAILED", failure_code="TIMEOUT", failure_message="no answer",
                   details=(("source_so_id", "SO-7"), ("total", "12.50")))
    assert {
        "record_id": "order-o1", "kind": "ORDER", "subject_id": "o1", "store_id": "S1",
        "marketplace": "lightspeed", "status": "FAILED", "occurred_at": failed.occurred_at,
        "log_time": failed.log_time, "attempt": 1, "failure_code": "TIMEOUT",
        "failure_message": "no answer", "details": {"source_so_id": "SO-7", "total": "12.50"},
    } == entry_json(failed)


def reported(**changes: Any) -> dict[str, Any]:
    """A connector's JSON entry: a refund being processed, without log time or attempt."""
    base = {"record_id": "rf-1", "kind": "refund", "subject_id": "RF-1", "store_id": "S1",
            "marketplace": "lightspeed", "status": "processing", "occurred_at": 5}
    return {k: v for k, v in {**base, **changes}.items() if v != "(absent)"}


def test_a_posted_entry_takes_defaults_and_any_case_of_kind_and_status() -> None:
    (parsed,) = entries_from_body({"entries": [reported()]})
    assert (SyncLogKind.REFUND, SyncLogStatus.PROCESSING, 1, 0, ()) == (
        parsed.kind, parsed.status, parsed.attempt, parsed.log_time, parsed.details)


@pytest.mark.parametrize(
    ("bad", "field"),
    [("not an object", "entry"), (reported(colour="red"), "colour"),
     (reported(subject_id="(absent)"), "subject_id"), (reported(store_id=None), "store_id"),
     (reported(kind="INVENTORY"), "kind"), (reported(status=2), "status"),
     (reported(occurred_at="5"), "occurred_at"), (reported(attempt=0), "attempt"),
     (reported(log_time=1.5), "log_time"), (reported(details=["a"]), "details"),
     (reported(details={"total": 12}), "details"),
     (reported(status="FAILED"), "failure_code"),
     (reported(failure_message="late"), "failure_message")],
)
def test_a_bad_entry_is_named_by_index_and_field(bad: Any, field: str) -> None:
    """The third entry is bad: 400 naming entries[2] and the field; nothing is accepted."""
    body = {"entries": [reported(), reported(record_id="rf-2"), bad]}
    with pytest.raises(ApiError) as error:
        entries_from_body(body)
    assert (400, 2, field) == (error.value.status, error.value.fields["entry"],
                               error.value.fields["field"])
    assert error.value.message.startswith(f"entries[2].{field}: ")


@pytest.mark.parametrize("body", [{}, {"entries": []}, {"entries": {"a": 1}},
                                  {"entries": [reported()], "more": 1},
                                  {"entries": [reported()] * (MAX_ENTRIES + 1)}])
def test_a_body_without_a_list_of_entries_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as error:
        entries_from_body(body)
    assert 400 == error.value.status


def test_a_resync_body_gives_ids_or_a_filter_in_epoch_milliseconds() -> None:
    assert {"ids": ["a", "b"]} == resync_ask({"record_ids": ["b", "a", "b"]}, NOW, "UTC")
    ask = resync_ask({"filter": {"kind": "order", "failure_reason": "timeout",
                                 "range": "today"}}, NOW, "Asia/Jakarta")
    # 2026-01-01 00:00 UTC is 07:00 in Jakarta: today began 7 hours earlier; now is included
    # (until is exclusive)
    assert {"query": {"kind": "ORDER", "failure_reason": "TIMEOUT",
                      "since": str(NOW - 7 * 3600_000), "until": str(NOW + 1)}} == ask


@pytest.mark.parametrize("body", [{}, {"record_ids": ["a"], "filter": {}}, {"ids": ["a"]},
                                  {"record_ids": []}, {"record_ids": ["a", ""]},
                                  {"record_ids": "a"}, {"filter": {"limit": 5}}])
def test_a_malformed_resync_body_is_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as error:
        resync_ask(body, NOW, "UTC")
    assert 400 == error.value.status


@pytest.mark.parametrize(("params", "parameter"),
                         [({"status": "SYNCED"}, "status"), ({"limit": "5"}, "limit"),
                          ({"cursor": "x"}, "cursor"), ({"kind": "INVENTORY"}, "kind")])
def test_a_resync_filter_that_cannot_select_failed_entries_names_its_parameter(
        params: dict[str, str], parameter: str) -> None:
    with pytest.raises(QueryError) as error:
        resync_ask({"filter": params}, NOW, "UTC")
    assert parameter == error.value.parameter


def test_an_entry_takes_the_log_time_of_its_message() -> None:
    """faust gives the append time in seconds as a float: milliseconds, rounded, not cut."""
    reported_entry = entry("o1", log_time=1)
    assert 1_767_225_600_123 == logged_entry(reported_entry, 1_767_225_600.123).log_time
    assert reported_entry == logged_entry(reported_entry, None)
