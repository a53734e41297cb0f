"""Which listings a bulk re-push concerns (`POST /push-records/retry`), by record ids or by filter.

    selection = select_for_retry(records_by_id, ids=["r1", "r2"])
    selection = select_for_retry(records_by_id, where=RecordFilter(failure_codes=...))
    push_now_stores(selection.targets)  # merchant SKU -> the stores of its PUSH_NOW

- Only FAILED records are re-pushed. By ids, every other id is reported: UNKNOWN (not in these
  records) or NOT_FAILED (with its status). By filter, the filter is narrowed to FAILED records,
  and a filter whose statuses leave FAILED out is a QueryError: it could select nothing.
- One target per listing (store, store SKU, merchant SKU) however many of its records failed;
  a re-push sends the listing's current quantity, not a failed record's stale one.
- Each worker selects among its own records; `merge_selections` gathers their answers: an id is
  UNKNOWN only if no worker knows it.
The same selection serves the other sync logs (`sync_logs.resync_selection`).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.projections.paging import Filter
from stocksync.projections.query_errors import QueryError
from stocksync.projections.queries import RecordFilter


class Refusal(str, enum.Enum):
    UNKNOWN = "UNKNOWN"  # no such record here
    NOT_FAILED = "NOT_FAILED"  # only FAILED records are retried


@dataclass(frozen=True, slots=True)
class NotRetryable:
    record_id: str
    refusal: Refusal
    status: str | None = None  # for NOT_FAILED: the record's status

    @property
    def message(self) -> str:
        if self.refusal is Refusal.UNKNOWN:
            return "no such record (it may have left the 30-day history)"
        return f"status {self.status}: only FAILED records are retried"


class Target(Protocol):
    @property
    def record_ids(self) -> tuple[str, ...]: ...


TargetT = TypeVar("TargetT", bound=Target)


class Selectable(Protocol):
    """What selection needs of a record: sync records and sync log entries both have it."""

    @property
    def record_id(self) -> str: ...

    @property
    def status(self) -> enum.Enum: ...


Item = TypeVar("Item", bound=Selectable)


@dataclass(frozen=True, slots=True)
class Selection(Generic[TargetT]):
    targets: tuple[TargetT, ...]  # sorted
    not_retryable: tuple[NotRetryable, ...] = ()  # by record id


@dataclass(frozen=True, slots=True, order=True)
class RetryTarget:
    """A listing to re-push, and its failed records the re-push answers."""

    store_id: str
    store_sku: str
    merchant_sku: str
    record_ids: tuple[str, ...]  # sorted


def select_for_retry(
    records: Mapping[str, SyncRecord],
    ids: Iterable[str] | None = None,
    where: RecordFilter | None = None,
) -> Selection[RetryTarget]:
    """The listings of the FAILED records among `ids`, or among those `where` matches."""
    if where is not None and where.statuses and SyncStatus.FAILED not in where.statuses:
        raise QueryError("status", "only FAILED records are retried: include FAILED or leave "
                                   "status out")
    return select_failed(
        records, ids, where,
        failed=lambda r: r.status is SyncStatus.FAILED,
        group=lambda r: (r.store_id, r.store_sku, r.merchant_sku),
        target=lambda _, failed: RetryTarget(failed[0].store_id, failed[0].store_sku,
                                             failed[0].merchant_sku,
                                             tuple(r.record_id for r in failed)),
    )


def push_now_stores(targets: Iterable[RetryTarget]) -> dict[str, tuple[str, ...]]:
    """Per merchant SKU, the stores of the PUSH_NOW that re-pushes its targets, sorted."""
    stores: dict[str, set[str]] = {}
    for target in targets:
        stores.setdefault(target.merchant_sku, set()).add(target.store_id)
    return {sku: tuple(sorted(stores[sku])) for sku in sorted(stores)}


def merge_selections(
    selections: Iterable[Selection[TargetT]], group: Callable[[TargetT], tuple[str, ...]],
    combine: Callable[[TargetT, TargetT], TargetT],
) -> Selection[TargetT]:
    """The workers' selections for one request as one: targets of one group `combine`d, and an
    id UNKNOWN only if every worker answered so."""
    targets: dict[tuple[str, ...], TargetT] = {}
    refused: dict[str, NotRetryable] = {}
    for selection in selections:
        for target in selection.targets:
            key = group(target)
            targets[key] = combine(targets[key], target) if key in targets else target
        for refusal in selection.not_retryable:
            known = refused.get(refusal.record_id)
            if known is None or known.refusal is Refusal.UNKNOWN:
                refused[refusal.record_id] = refusal
    retried = {record_id for t in targets.values() for record_id in t.record_ids}
    return Selection(
        tuple(targets[key] for key in sorted(targets)),
        tuple(refused[i] for i in sorted(refused) if i not in retried),
    )


def merge_retry_selections(selections: Iterable[Selection[RetryTarget]]) -> Selection[RetryTarget]:
    return merge_selections(
        selections, group=lambda t: (t.store_id, t.store_sku, t.merchant_sku),
        combine=lambda a, b: RetryTarget(a.store_id, a.store_sku, a.merchant_sku,
                                         tuple(sorted({*a.record_ids, *b.record_ids}))),
    )


def select_failed(
    items: Mapping[str, Item],
    ids: Iterable[str] | None,
    where: Filter[Item] | None,
    *,
    failed: Callable[[Item], bool],
    group: Callable[[Item], tuple[str, ...]],
    target: Callable[[tuple[str, ...], tuple[Item, ...]], TargetT],
) -> Selection[TargetT]:
    """The targets of the failed items among `ids`, or among those `where` matches (exactly one
    of both): one per group, built from its key and its failed items (by record id)."""
    if (ids is None) == (where is None):
        raise ValueError("select by ids or by a filter: exactly one of them")
    refused: list[NotRetryable] = []
    if ids is not None:
        chosen: list[Item] = []
        for record_id in sorted(set(ids)):
            item = items.get(record_id)
            if item is None:
                refused.append(NotRetryable(record_id, Refusal.UNKNOWN))
            elif not failed(item):
                refused.append(NotRetryable(record_id, Refusal.NOT_FAILED, item.status.value))
            else:
                chosen.append(item)
    else:
        assert where is not None
        chosen = [item for item in items.values() if failed(item) and where.matches(item)]
    groups: dict[tuple[str, ...], list[Item]] = {}
    for item in sorted(chosen, key=lambda i: i.record_id):
        groups.setdefault(group(item), []).append(item)
    return Selection(tuple(target(key, tuple(groups[key])) for key in sorted(groups)),
                     tuple(refused))
