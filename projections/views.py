"""The sync-history views (PRODUCT.md §4), each a fold over the sync-records topic:

    history = apply_to_listing(history, record, limit=100)  # Push Record page, per store SKU
    summary = apply_to_summary(summary, record)             # Sync Recording page, per merchant SKU
    view = prune(view, cutoff_log_time)                     # retention; None: the view is gone

Every record by id is `sync_history.merge_all` (the records table). Both folds start from None,
merge a record's updates with `sync_history.merge`, and give the same view whatever the order of
the records and however often each comes, provided a record's log time never changes and it has
at most one outcome (`merge` lets the later of two outcomes win).

`ListingHistory` keeps the `limit` latest records of a listing by (log_time, record_id); a newer
one pushes the oldest out, for good, as at least `limit` newer ones exist from then on. Its last
push is its latest record that is not SKIPPED, whatever its status: PENDING (queued),
SUCCESSFULLY or FAILED. A SKIPPED record was never pushed; the record that replaced it was.

`SkuSummary` is a merchant SKU's latest sync: the trigger with the greatest (log_time, cause event
id), and its records, one per listing and rule ("a rule syncing to 10 stores makes 10 IDs"). Its
last sync qty, time (sync time) and status are those of that sync's greatest record id: the
latest record by (log_time, record_id) unless two triggers reached the log in the same
millisecond. It holds the ids of that sync only: a count of all the SKU's records could not be
kept exactly under redelivery without every id of 30 days (thousands per SKU with periodic
refreshes), so that count is `queries.count` over the records, filtered by merchant SKU.

Retention: `prune` drops the records whose log time is before the cutoff (now - retention); a view
with no record left is None. Apply only records at or after the cutoff, or prune afterwards: a
replay re-creates old records.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.projections.paging import sort_key
from stocksync.projections.sync_history import merge

DEFAULT_LISTING_LIMIT = 100


@dataclass(frozen=True, slots=True)
class ListingHistory:
    """The Push Record page of one store SKU: its latest records, oldest first."""

    store_id: str
    store_sku: str
    records: tuple[SyncRecord, ...] = ()  # sorted by (log_time, record_id)

    @property
    def newest_first(self) -> tuple[SyncRecord, ...]:
        return self.records[::-1]

    @property
    def last_push(self) -> SyncRecord | None:
        """The latest record that is not SKIPPED."""
        return next((r for r in self.newest_first if r.status is not SyncStatus.SKIPPED), None)

    @property
    def last_push_qty(self) -> int | None:
        return None if self.last_push is None else self.last_push.after_qty

    @property
    def last_push_status(self) -> SyncStatus | None:
        return None if self.last_push is None else self.last_push.status

    @property
    def last_push_time(self) -> int | None:
        return None if self.last_push is None else self.last_push.sync_time


@dataclass(frozen=True, slots=True)
class SkuSummary:
    """The Sync Recording page's row of one merchant SKU: its latest sync."""

    merchant_sku: str
    latest: SyncRecord  # the latest sync's record with the greatest id
    sync_record_ids: frozenset[str]  # every record of the latest sync

    @property
    def title(self) -> str | None:
        return self.latest.title

    @property
    def log_time(self) -> int:  # with record_id: the paging order of the Sync Recording list
        return self.latest.log_time

    @property
    def record_id(self) -> str:
        return self.latest.record_id

    @property
    def last_sync_qty(self) -> int:
        return self.latest.after_qty

    @property
    def last_sync_time(self) -> int:
        return self.latest.sync_time

    @property
    def last_sync_status(self) -> SyncStatus:
        return self.latest.status


def apply_to_listing(
    history: ListingHistory | None, record: SyncRecord, limit: int = DEFAULT_LISTING_LIMIT
) -> ListingHistory:
    """`history` (None: none yet) after `record` of its listing, keeping the `limit` latest."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if history is None:
        history = ListingHistory(record.store_id, record.store_sku)
    elif (history.store_id, history.store_sku) != (record.store_id, record.store_sku):
        raise ValueError(f"record of {record.store_id}/{record.store_sku} applied to the history "
                         f"of {history.store_id}/{history.store_sku}")
    existing = next((r for r in history.records if r.record_id == record.record_id), None)
    others = [r for r in history.records if r is not existing]
    records = sorted([*others, merge(existing, record)], key=sort_key)
    return dataclasses.replace(history, records=tuple(records[-limit:]))


def apply_to_summary(summary: SkuSummary | None, record: SyncRecord) -> SkuSummary:
    """`summary` (None: none yet) after `record` of its merchant SKU."""
    if summary is None:
        return SkuSummary(record.merchant_sku, record, frozenset({record.record_id}))
    if summary.merchant_sku != record.merchant_sku:
        raise ValueError(f"record of {record.merchant_sku!r} applied to the summary of "
                         f"{summary.merchant_sku!r}")
    latest = summary.latest
    if _sync_key(record) != _sync_key(latest):
        return summary if _sync_key(record) < _sync_key(latest) else apply_to_summary(None, record)
    ids = summary.sync_record_ids | {record.record_id}
    if record.record_id == latest.record_id:
        return SkuSummary(summary.merchant_sku, merge(latest, record), ids)
    return SkuSummary(summary.merchant_sku, max(latest, record, key=sort_key), ids)


@functools.singledispatch
def prune(view: object, cutoff_log_time: int) -> object:
    """`view` without its records logged before `cutoff_log_time`; None if none is left."""
    raise TypeError(f"not a sync-history view: {type(view).__name__}")


@prune.register
def prune_listing(view: ListingHistory, cutoff_log_time: int) -> ListingHistory | None:
    kept = tuple(r for r in view.records if r.log_time >= cutoff_log_time)
    return dataclasses.replace(view, records=kept) if kept else None


@prune.register
def prune_summary(view: SkuSummary, cutoff_log_time: int) -> SkuSummary | None:
    return view if view.latest.log_time >= cutoff_log_time else None


def retention_cutoff(now_ms: int, retention_ms: int) -> int:
    """The log time before which records have left the history."""
    return now_ms - retention_ms


def _sync_key(record: SyncRecord) -> tuple[int, str]:
    """The trigger a record belongs to, in the order triggers reached the log."""
    return (record.log_time, record.cause.event_id)
