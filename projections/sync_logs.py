"""The other sync logs of the seeds (product/listing, order, customer, refund): entries with
statuses Pending, Processing, Synced, Failed (+ failure reason) and a re-sync action, in the same
history machinery as sync records: merged by id, filtered, paged newest first, re-synced.

    entries[e.record_id] = merge_entry(entries.get(e.record_id), e)
    where = log_filter_from_query(params, now_ms, tz)
    page(entries.values(), where, cursor, limit)         # `paging.page`, as for records
    resync_selection(entries, where=where)               # one target per subject
    merge_resync_selections([selection_of_worker_1, ...])  # scatter, then gather

- An entry is one sync of one subject (a product, order, customer or refund) to one store. A
  re-sync reports on the same entry with `attempt` + 1, so the entry shows its latest attempt:
  `merge_entry` orders updates by (attempt, status rank), rank PENDING < PROCESSING < SYNCED,
  FAILED; a later attempt replaces any status of an earlier one.
- `SubjectSummary` is the log page's row of one subject in one store: its latest entry by
  (log_time, record_id), pruned by log time like the sync-record views.
- Filter parameters: `kind`, `status`, `failure_reason` (comma-separated lists, case-insensitive),
  `store_id`, `subject_id` (exact), `marketplace` (case-insensitive), `since`/`until`/`range` (log
  time), plus paging's `cursor` and `limit`; anything else is a QueryError.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from stocksync.projections.paging import PAGING_PARAMETERS, sort_key
from stocksync.projections.queries import reject_unknown, symbols_param, text_param
from stocksync.projections.query_errors import QueryError
from stocksync.projections.retry import Selection, merge_selections, select_failed
from stocksync.projections.time_ranges import TIME_PARAMETERS, TimeRange, time_range_from_query

LOG_PARAMETERS = frozenset(
    {"kind", "store_id", "marketplace", "subject_id", "status", "failure_reason"}
) | TIME_PARAMETERS


class SyncLogKind(str, enum.Enum):
    PRODUCT = "PRODUCT"  # a product / listing
    ORDER = "ORDER"
    CUSTOMER = "CUSTOMER"
    REFUND = "REFUND"


class SyncLogStatus(str, enum.Enum):
    PENDING = "PENDING"  # waiting: in the queue, or for a setting to be configured
    PROCESSING = "PROCESSING"  # sent, not yet live at the other end
    SYNCED = "SYNCED"
    FAILED = "FAILED"  # with a failure reason


_RANK = {SyncLogStatus.PENDING: 0, SyncLogStatus.PROCESSING: 1, SyncLogStatus.SYNCED: 2,
         SyncLogStatus.FAILED: 2}


@dataclass(frozen=True, slots=True)
class SyncLogEntry:
    """One sync of one subject to one store (topic value keyed by `record_id`)."""

    record_id: str
    kind: SyncLogKind
    subject_id: str  # the product SKU, order id, customer id or refund id
    store_id: str
    marketplace: str
    status: SyncLogStatus
    occurred_at: int  # when the sync ran at its source, epoch ms (the page's sync time)
    log_time: int  # when it reached the log, epoch ms: order, ranges, retention
    attempt: int = 1  # 1, then one more per re-sync
    failure_code: str | None = None  # for FAILED, machine-readable: VALIDATION, TIMEOUT, ...
    failure_message: str | None = None  # for FAILED: "Invalid Image", "SKU already exists", ...
    details: tuple[tuple[str, str], ...] = ()  # the page's other columns, sorted by name

    def detail(self, name: str) -> str | None:
        """A column of the seeds' pages: product_name, sku, source, source_so_id, total, ..."""
        return dict(self.details).get(name)


@dataclass(frozen=True, slots=True)
class SubjectSummary:
    """The log page's row of one subject in one store: its latest entry."""

    kind: SyncLogKind
    store_id: str
    subject_id: str
    latest: SyncLogEntry


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Every field given must match; an empty set or None matches anything."""

    kinds: frozenset[SyncLogKind] = frozenset()
    store_id: str | None = None
    marketplace: str | None = None  # case-insensitive
    subject_id: str | None = None
    statuses: frozenset[SyncLogStatus] = frozenset()
    failure_codes: frozenset[str] = frozenset()  # upper case; only FAILED entries have one
    time_range: TimeRange = TimeRange()  # on log_time

    def matches(self, entry: SyncLogEntry) -> bool:
        return (
            (not self.kinds or entry.kind in self.kinds)
            and (self.store_id is None or self.store_id == entry.store_id)
            and (self.marketplace is None
                 or self.marketplace.casefold() == entry.marketplace.casefold())
            and (self.subject_id is None or self.subject_id == entry.subject_id)
            and (not self.statuses or entry.status in self.statuses)
            and (not self.failure_codes
                 or (entry.failure_code or "").upper() in self.failure_codes)
            and entry.log_time in self.time_range
        )


@dataclass(frozen=True, slots=True, order=True)
class ResyncTarget:
    """A subject to sync again, the failed entries that answers, and the attempt it makes."""

    kind: SyncLogKind
    store_id: str
    subject_id: str
    record_ids: tuple[str, ...]  # sorted
    attempt: int  # one more than the latest failed attempt


def merge_entry(existing: SyncLogEntry | None, update: SyncLogEntry) -> SyncLogEntry:
    """The entry after `update`: a later attempt wins, then the higher status rank, then
    `update`."""
    if existing is None or _precedence(update) >= _precedence(existing):
        return update
    return existing


def apply_entry(summary: SubjectSummary | None, entry: SyncLogEntry) -> SubjectSummary:
    """`summary` (None: none yet) after `entry` of its subject."""
    if summary is None:
        return SubjectSummary(entry.kind, entry.store_id, entry.subject_id, entry)
    if _subject(summary.latest) != _subject(entry):
        raise ValueError(f"entry of {_subject(entry)} applied to the summary of "
                         f"{_subject(summary.latest)}")
    if entry.record_id == summary.latest.record_id:
        return dataclasses.replace(summary, latest=merge_entry(summary.latest, entry))
    return dataclasses.replace(summary, latest=max(summary.latest, entry, key=sort_key))


def prune_subject(summary: SubjectSummary, cutoff_log_time: int) -> SubjectSummary | None:
    """`summary`, or None if its latest entry was logged before `cutoff_log_time`."""
    return summary if summary.latest.log_time >= cutoff_log_time else None


def log_filter_from_query(
    params: Mapping[str, str], now_ms: int, tz: str, *, also_allowed: Iterable[str] = ()
) -> LogFilter:
    """The filter of a sync-log query's parameters; QueryError names the first bad one."""
    reject_unknown(params, LOG_PARAMETERS | PAGING_PARAMETERS | set(also_allowed))
    failure_reason = text_param(params, "failure_reason")
    return LogFilter(
        kinds=symbols_param(params, "kind", SyncLogKind),
        store_id=text_param(params, "store_id"),
        marketplace=text_param(params, "marketplace"),
        subject_id=text_param(params, "subject_id"),
        statuses=symbols_param(params, "status", SyncLogStatus),
        failure_codes=frozenset(
            _failure_code(word) for word in (failure_reason or "").split(",") if failure_reason
        ),
        time_range=time_range_from_query(params, now_ms, tz),
    )


def log_filter_to_query(where: LogFilter) -> dict[str, str]:
    """The parameters that give `where` back, its time range as epoch ms."""
    params = {
        "kind": ",".join(sorted(k.value for k in where.kinds)),
        "store_id": where.store_id, "marketplace": where.marketplace,
        "subject_id": where.subject_id,
        "status": ",".join(sorted(s.value for s in where.statuses)),
        "failure_reason": ",".join(sorted(where.failure_codes)),
        "since": None if where.time_range.since is None else str(where.time_range.since),
        "until": None if where.time_range.until is None else str(where.time_range.until),
    }
    return {name: value for name, value in params.items() if value}


def resync_selection(
    entries: Mapping[str, SyncLogEntry],
    ids: Iterable[str] | None = None,
    where: LogFilter | None = None,
) -> Selection[ResyncTarget]:
    """The subjects of the FAILED entries among `ids`, or among those `where` matches: one
    target per subject and store (see `retry` for what is refused, and why)."""
    if where is not None and where.statuses and SyncLogStatus.FAILED not in where.statuses:
        raise QueryError("status", "only FAILED entries are re-synced: include FAILED or leave "
                                   "status out")
    return select_failed(
        entries, ids, where,
        failed=lambda e: e.status is SyncLogStatus.FAILED,
        group=lambda e: (e.kind.value, e.store_id, e.subject_id),
        target=lambda _, failed: ResyncTarget(
            failed[0].kind, failed[0].store_id, failed[0].subject_id,
            tuple(e.record_id for e in failed), max(e.attempt for e in failed) + 1),
    )


def merge_resync_selections(
    selections: Iterable[Selection[ResyncTarget]],
) -> Selection[ResyncTarget]:
    """The workers' re-sync selections for one request as one (see `retry.merge_selections`)."""
    return merge_selections(
        selections, group=lambda t: (t.kind.value, t.store_id, t.subject_id),
        combine=lambda a, b: dataclasses.replace(
            a, record_ids=tuple(sorted({*a.record_ids, *b.record_ids})),
            attempt=max(a.attempt, b.attempt)),
    )


def _failure_code(word: str) -> str:
    if not word.strip():
        raise QueryError("failure_reason", "an empty failure reason in the list")
    return word.strip().upper()


def _precedence(entry: SyncLogEntry) -> tuple[int, int]:
    return (entry.attempt, _RANK[entry.status])


def _subject(entry: SyncLogEntry) -> tuple[str, str, str]:
    return (entry.kind.value, entry.store_id, entry.subject_id)
