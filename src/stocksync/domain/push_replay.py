"""`replay_pushes`: the reference push pipeline over a log, for tests, replays and what-if runs.

Per logged event, in log order: close the SKU's windows that its log time has passed, apply the
event (a repeated event id of the SKU, or an event that cannot apply, is rejected and makes no
record), make its records and admit them to dedup. Every window still open at the end is closed.
The live pipeline must emit the same records: the same SKIPPED markers and PENDING push commands
(per listing in the same order; across listings the order may differ).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from stocksync.domain.dedup import DEFAULT_WINDOW_MS, admit_all, close_all, close_all_due
from stocksync.domain.events import StockEvent
from stocksync.domain.listings import SkuListings
from stocksync.domain.rejections import Rejected, RejectionReason
from stocksync.domain.sku_stock import SkuStock
from stocksync.domain.sync import Cause, SyncRecord, SyncStatus
from stocksync.domain.sync_config import SyncConfig
from stocksync.domain.sync_records import records_for_trigger
from stocksync.domain.transitions import DEFAULT_CLOSED_ORDER_RETENTION_MS, apply


class LoggedEvent(NamedTuple):
    event: StockEvent
    log_time: int  # when it reached the log (LogAppendTime), epoch ms
    cause: Cause  # its event id and position in the log


@dataclass(frozen=True, slots=True)
class PushReplay:
    stocks: Mapping[str, SkuStock]  # by merchant SKU; only SKUs some event applied to
    listings: Mapping[str, SkuListings]  # by merchant SKU; only SKUs with records
    records: tuple[SyncRecord, ...]  # every record made, PENDING, in log order
    emitted: tuple[SyncRecord, ...]  # SKIPPED markers and PENDING push commands, in emitted order
    rejected: tuple[tuple[StockEvent, Rejected], ...]  # in log order

    @property
    def pushes(self) -> tuple[SyncRecord, ...]:
        """The PENDING records emitted: the push commands."""
        return tuple(r for r in self.emitted if r.status == SyncStatus.PENDING)

    @property
    def skipped(self) -> tuple[SyncRecord, ...]:
        """The SKIPPED markers emitted."""
        return tuple(r for r in self.emitted if r.status == SyncStatus.SKIPPED)


def replay_pushes(
    log: Iterable[tuple[StockEvent, int, Cause]],
    config: SyncConfig,
    *,
    window_ms: int = DEFAULT_WINDOW_MS,
    closed_order_retention_ms: int = DEFAULT_CLOSED_ORDER_RETENTION_MS,
) -> PushReplay:
    """Fold `log` (event, log time, cause) into stock, listing states and every emitted record."""
    stocks: dict[str, SkuStock] = {}
    listings: dict[str, SkuListings] = {}
    records: list[SyncRecord] = []
    emitted: list[SyncRecord] = []
    rejected: list[tuple[StockEvent, Rejected]] = []
    seen: set[tuple[str, str]] = set()
    for event, log_time, cause in log:
        sku = event.merchant_sku
        sku_listings, closed = close_all_due(listings.get(sku) or SkuListings.empty(sku), log_time)
        emitted.extend(closed)
        before = stocks.get(sku) or SkuStock.empty(sku)
        outcome = _applied(before, event, seen, closed_order_retention_ms)
        if isinstance(outcome, Rejected):
            rejected.append((event, outcome))
        else:
            stocks[sku] = outcome
            made = records_for_trigger(
                event, cause, log_time, before, outcome, config, sku_listings
            )
            records.extend(made)
            sku_listings, admitted = admit_all(sku_listings, made, window_ms)
            emitted.extend(admitted)
        if sku_listings.listings:
            listings[sku] = sku_listings
    for sku in sorted(listings):
        listings[sku], closed = close_all(listings[sku])
        emitted.extend(closed)
    return PushReplay(stocks, listings, tuple(records), tuple(emitted), tuple(rejected))


def _applied(
    state: SkuStock, event: StockEvent, seen: set[tuple[str, str]], retention_ms: int
) -> SkuStock | Rejected:
    identity = (event.merchant_sku, event.event_id)
    if identity in seen:
        return Rejected(
            RejectionReason.DUPLICATE_EVENT, f"event {event.event_id!r} was seen before"
        )
    seen.add(identity)
    return apply(state, event, closed_order_retention_ms=retention_ms)
