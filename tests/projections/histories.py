"""Sync histories for the projection tests: a record builder, hypothesis strategies for histories
and filters, and `reference_query`, a plain-Python filter and sort written without the code under
test, for any test (unit or Kafka) that checks what a query returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from hypothesis import strategies as st

from stocksync.domain.events import Reason
from stocksync.domain.sync import Cause, FailureCode, SyncRecord, SyncStatus
from stocksync.projections.sync_logs import SyncLogEntry, SyncLogKind, SyncLogStatus

STORES = {"S1": "shopee", "S2": "lazada", "S3": "Shopify"}  # store id -> marketplace
SKUS = ("APPLE", "PEAR")
STORE_SKUS = ("a1", "a2")
REASONS = (Reason.SYNC_ORDER, Reason.STOCK_IN_MANUAL, Reason.REFRESH_INVENTORY, Reason.PUSH_NOW)
BASE = 1_714_500_000_000  # 2024-04-30T18:00Z


def record(
    n: int,
    log_time: int = BASE,
    *,
    status: SyncStatus = SyncStatus.PENDING,
    store_id: str = "S1",
    store_sku: str = "a1",
    merchant_sku: str = "APPLE",
    after_qty: int = 10,
    failure_code: FailureCode | None = None,
    reason: Reason = Reason.STOCK_IN_MANUAL,
    event: str | None = None,
) -> SyncRecord:
    """Record r<n> (ids sort as n does), caused by event e<n> unless `event` names another."""
    return SyncRecord(
        record_id=f"r{n:04d}", sync_time=log_time - 5, log_time=log_time,
        marketplace=STORES.get(store_id, "shopee"), store_id=store_id,
        store_nickname=f"{store_id} shop", store_sku=store_sku, merchant_sku=merchant_sku,
        warehouse_id="W1", before_qty=0, movement=1, after_qty=after_qty, rule_name="R1",
        reason=reason, cause=Cause(event or f"e{n}", "stock-events", 0, n), status=status,
        failure_code=failure_code,
        failure_message=None if failure_code is None else f"{failure_code.value} at the shop",
        title=f"{merchant_sku} title",
    )  # fmt: skip


def failed(n: int, code: FailureCode = FailureCode.AUTH_EXPIRED, **fields: Any) -> SyncRecord:
    return record(n, status=SyncStatus.FAILED, failure_code=code, **fields)


@st.composite
def records(
    draw: st.DrawFn, n: int, log_times: st.SearchStrategy[int], events: tuple[str, ...] = ()
) -> SyncRecord:
    """Record r<n> with any listing, reason, status and failure of the small sets above, caused
    by e<n> or by one of `events`."""
    status = draw(st.sampled_from(SyncStatus))
    code = draw(st.sampled_from(FailureCode)) if status is SyncStatus.FAILED else None
    return record(
        n, draw(log_times), status=status, store_id=draw(st.sampled_from(sorted(STORES))),
        store_sku=draw(st.sampled_from(STORE_SKUS)), merchant_sku=draw(st.sampled_from(SKUS)),
        failure_code=code, reason=draw(st.sampled_from(REASONS)),
        event=draw(st.sampled_from(events)) if events else None,
    )


def histories(
    max_size: int = 40, log_times: st.SearchStrategy[int] | None = None,
    events: tuple[str, ...] = (), min_size: int = 0,
) -> st.SearchStrategy[list[SyncRecord]]:
    """Records with distinct ids; log times over a few seconds, so that some are equal."""
    times = log_times if log_times is not None else st.integers(BASE, BASE + 3000)
    ids = st.lists(st.integers(0, 9999), unique=True, min_size=min_size, max_size=max_size)
    return ids.flatmap(
        lambda ns: st.tuples(*(records(n, times, events) for n in ns)).map(list)
    )


def subsets(values: Iterable[Any]) -> st.SearchStrategy[frozenset[Any]]:
    return st.frozensets(st.sampled_from(list(values)), min_size=1, max_size=3)


TIMES = st.sampled_from(range(BASE - 10, BASE + 3010, 250))
CONDITIONS: dict[str, st.SearchStrategy[Any]] = {
    "merchant_sku": st.sampled_from(SKUS), "store_id": st.sampled_from(sorted(STORES)),
    "store_sku": st.sampled_from(STORE_SKUS),
    "marketplace": st.sampled_from(["SHOPEE", "lazada", "shopify", "etsy"]),
    "status": subsets(SyncStatus), "reason": subsets(REASONS),
    "failure_reason": subsets(FailureCode), "since": TIMES, "until": TIMES,
}  # fmt: skip


@st.composite
def conditions(draw: st.DrawFn, max_conditions: int = 3) -> dict[str, Any]:
    """Up to `max_conditions` of the query's conditions, the others None."""
    chosen = draw(st.sets(st.sampled_from(sorted(CONDITIONS)), max_size=max_conditions))
    return {name: draw(CONDITIONS[name]) if name in chosen else None for name in CONDITIONS}


def as_query(conditions: Mapping[str, Any]) -> dict[str, str]:
    """The HTTP query parameters of `conditions`."""
    params = {}
    for name, value in conditions.items():
        if isinstance(value, frozenset):
            params[name] = ",".join(sorted(member.value.lower() for member in value))
        elif value is not None:
            params[name] = str(value)
    return params


def reference_query(
    records: Iterable[SyncRecord], conditions: Mapping[str, Any]
) -> list[SyncRecord]:
    """The records meeting every condition given, newest (log time, then id) first."""
    kept = []
    for r in records:
        checks = [
            conditions.get("merchant_sku") in (None, r.merchant_sku),
            conditions.get("store_id") in (None, r.store_id),
            conditions.get("store_sku") in (None, r.store_sku),
            conditions.get("marketplace") is None
            or conditions["marketplace"].lower() == r.marketplace.lower(),
            not conditions.get("status") or r.status in conditions["status"],
            not conditions.get("reason") or r.reason in conditions["reason"],
            not conditions.get("failure_reason") or r.failure_code in conditions["failure_reason"],
            conditions.get("since") is None or r.log_time >= conditions["since"],
            conditions.get("until") is None or r.log_time < conditions["until"],
        ]
        if all(checks):
            kept.append(r)
    return sorted(kept, key=lambda r: (r.log_time, r.record_id), reverse=True)


def with_status(r: SyncRecord, status: SyncStatus, code: FailureCode | None = None) -> SyncRecord:
    """`r` as a later update reports it."""
    return dataclasses.replace(r, status=status, failure_code=code)


def entry(
    subject_id: str,
    *,
    record_id: str | None = None,
    kind: str = "ORDER",
    status: str = "PENDING",
    store_id: str = "S1",
    marketplace: str = "lightspeed",
    log_time: int = BASE,
    attempt: int = 1,
    failure_code: str | None = None,
    failure_message: str | None = None,
    details: tuple[tuple[str, str], ...] = (),
) -> SyncLogEntry:
    """The sync log entry of `subject_id` (its id: `record_id`, else "<kind>-<subject_id>")."""
    return SyncLogEntry(
        record_id=record_id or f"{kind.lower()}-{subject_id}", kind=SyncLogKind(kind),
        subject_id=subject_id, store_id=store_id, marketplace=marketplace,
        status=SyncLogStatus(status), occurred_at=log_time - 100, log_time=log_time,
        attempt=attempt, failure_code=failure_code, failure_message=failure_message,
        details=details,
    )
