"""Which sync records an operator asks for (PRODUCT.md §4): `RecordFilter`, from and to HTTP query
parameters, and the record queries the HTTP layer scatters to every worker.

    where = filter_from_query({"status": "FAILED", "range": "week"}, now_ms, "Asia/Jakarta")
    page_of_records(records, where, cursor, limit)   # newest first, see `paging`

Parameters (all optional; each given one must match, so they combine with AND):
- `merchant_sku`, `store_id`, `store_sku`: one value each, exact (SKUs may hold commas);
- `marketplace`: one value, compared case-insensitively (`Shopee` finds `shopee`);
- `status`, `reason`, `failure_reason`: a comma-separated list of symbols, any of which matches
  (`status=FAILED,PENDING`); case-insensitive; `reason` also takes the trigger numbers 1-17 of
  PRODUCT.md §2; `failure_reason` only ever matches FAILED records (only they have one);
- `since`/`until` or `range=today|week|month`: on log time, the time the trigger reached the log,
  as are the paging order and the retention (see `time_ranges`);
- `cursor` and `limit` are paging's (see `paging.limit_from_query`); any other parameter is an
  error, so that a misspelt filter never widens a query, least of all a bulk retry.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from stocksync.domain.events import Reason
from stocksync.domain.sync import FailureCode, SyncRecord, SyncStatus
from stocksync.projections.paging import PAGING_PARAMETERS, Page, merge_pages, page
from stocksync.projections.query_errors import QueryError
from stocksync.projections.sync_history import merge
from stocksync.projections.time_ranges import TIME_PARAMETERS, TimeRange, time_range_from_query

E = TypeVar("E", bound=enum.Enum)

RECORD_PARAMETERS = frozenset(
    {"merchant_sku", "store_id", "store_sku", "marketplace", "status", "reason", "failure_reason"}
) | TIME_PARAMETERS


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Every field given must match; an empty set or None matches anything."""

    merchant_sku: str | None = None
    store_id: str | None = None
    store_sku: str | None = None
    marketplace: str | None = None  # case-insensitive
    statuses: frozenset[SyncStatus] = frozenset()
    reasons: frozenset[Reason] = frozenset()
    failure_codes: frozenset[FailureCode] = frozenset()
    time_range: TimeRange = TimeRange()  # on log_time

    def matches(self, record: SyncRecord) -> bool:
        return matches(record, self)


def matches(record: SyncRecord, where: RecordFilter) -> bool:
    """True if `record` passes every condition of `where`."""
    return (
        _equal(where.merchant_sku, record.merchant_sku)
        and _equal(where.store_id, record.store_id)
        and _equal(where.store_sku, record.store_sku)
        and _same_text(where.marketplace, record.marketplace)
        and _member(record.status, where.statuses)
        and _member(record.reason, where.reasons)
        and (not where.failure_codes or record.failure_code in where.failure_codes)
        and record.log_time in where.time_range
    )


def filter_from_query(
    params: Mapping[str, str], now_ms: int, tz: str, *, also_allowed: Iterable[str] = ()
) -> RecordFilter:
    """The filter of `GET /sync-records` parameters; QueryError names the first bad one.
    `cursor`, `limit` and `also_allowed` are left to the caller."""
    reject_unknown(params, RECORD_PARAMETERS | PAGING_PARAMETERS | set(also_allowed))
    return RecordFilter(
        merchant_sku=text_param(params, "merchant_sku"),
        store_id=text_param(params, "store_id"),
        store_sku=text_param(params, "store_sku"),
        marketplace=text_param(params, "marketplace"),
        statuses=symbols_param(params, "status", SyncStatus),
        reasons=symbols_param(params, "reason", Reason, _reason_by_number),
        failure_codes=symbols_param(params, "failure_reason", FailureCode),
        time_range=time_range_from_query(params, now_ms, tz),
    )


def filter_to_query(where: RecordFilter) -> dict[str, str]:
    """The parameters that give `where` back, with its time range as epoch ms: what the HTTP
    layer sends to every worker, so that `range=today` means the same instants on all."""
    return {name: value for name, value in {
        "merchant_sku": where.merchant_sku, "store_id": where.store_id,
        "store_sku": where.store_sku, "marketplace": where.marketplace,
        "status": _symbols(where.statuses), "reason": _symbols(where.reasons),
        "failure_reason": _symbols(where.failure_codes),
        "since": _ms(where.time_range.since), "until": _ms(where.time_range.until),
    }.items() if value is not None}


def page_of_records(
    records: Iterable[SyncRecord], where: RecordFilter, cursor: str | None, limit: int
) -> Page[SyncRecord]:
    """One worker's page of the records `where` matches, newest first."""
    return page(records, where, cursor, limit)


def merge_record_pages(pages: Iterable[Page[SyncRecord]], limit: int) -> Page[SyncRecord]:
    """The workers' pages of one request as one page; a record two of them served is merged."""
    return merge_pages(pages, limit, combine=merge)


def count(records: Iterable[SyncRecord], where: RecordFilter) -> int:
    """How many records `where` matches (e.g. a merchant SKU's records, failures per reason)."""
    return sum(1 for record in records if matches(record, where))


# -- parameters, shared with the other sync logs ------------------------------------------------

def reject_unknown(params: Mapping[str, str], known: Iterable[str]) -> None:
    allowed = set(known)
    for name in sorted(params):
        if name not in allowed:
            raise QueryError(name, f"unknown parameter; known: {', '.join(sorted(allowed))}")


def text_param(params: Mapping[str, str], name: str) -> str | None:
    """`name`'s value as given, or None; an empty value is an error."""
    value = params.get(name)
    if value is not None and not value.strip():
        raise QueryError(name, "empty; leave the parameter out to match any value")
    return value


def symbols_param(
    params: Mapping[str, str], name: str, symbols: type[E],
    alias: Callable[[str], E | None] = lambda _: None,
) -> frozenset[E]:
    """The enum members of `name`'s comma-separated list (case-insensitive), or the empty set."""
    value = text_param(params, name)
    if value is None:
        return frozenset()
    found = set()
    for word in (part.strip() for part in value.split(",")):
        member = symbols.__members__.get(word.upper()) or alias(word)
        if member is None:
            known = ", ".join(symbols.__members__)
            raise QueryError(name, f"{word!r} is not one of {known}")
        found.add(member)
    return frozenset(found)


def _reason_by_number(word: str) -> Reason | None:
    return next((r for r in Reason if word.isdigit() and r.trigger_number == int(word)), None)


def _equal(wanted: str | None, actual: str) -> bool:
    return wanted is None or wanted == actual


def _same_text(wanted: str | None, actual: str) -> bool:
    return wanted is None or wanted.casefold() == actual.casefold()


def _member(actual: E, wanted: frozenset[E]) -> bool:
    return not wanted or actual in wanted


def _symbols(members: frozenset[E]) -> str | None:
    return ",".join(sorted(m.name for m in members)) if members else None


def _ms(ms: int | None) -> str | None:
    return None if ms is None else str(ms)
