"""`replay_pushes`: the reference push pipeline over a log, for tests, replays and what-if runs.

Per logged event, in log order: close the SKU's windows that its log time has passed, apply the
event (a repeated event id of the SKU, or an event that cannot apply, is rejected and makes no
record), make its records and admit them to dedup. Every window still open at the end is closed.
The live pipeline must emit the same records: the same SKIPPED markers and PENDING push commands
(per listing in the same order; across listings the order may differ).

A log may also hold the control messages the config relay writes into every partition, each
applied to its own partition only, as the live fold (streams/stock_fold.py) applies them:
- a configuration snapshot of a newer version replaces the partition's configuration from its
  position on, and first re-pushes (REFRESH_INVENTORY) the stores whose rule or store it changes;
- a refresh request re-pushes every SKU of the partition, to the stores it names (or all).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from stocksync.domain.dedup import DEFAULT_WINDOW_MS, admit_all, close_all, close_all_due
from stocksync.domain.events import Reason, StockEvent
from stocksync.domain.listings import SkuListings
from stocksync.domain.rejections import Rejected, RejectionReason
from stocksync.domain.sku_stock import SkuStock
from stocksync.domain.sync import Cause, SyncRecord, SyncRule, SyncStatus
from stocksync.domain.sync_config import SyncConfig, affected_stores
from stocksync.domain.sync_records import records_for_refresh, records_for_trigger
from stocksync.domain.transitions import DEFAULT_CLOSED_ORDER_RETENTION_MS, apply


class LoggedEvent(NamedTuple):
    event: StockEvent
    log_time: int  # when it reached the log (LogAppendTime), epoch ms
    cause: Cause  # its event id and position in the log


class LoggedConfig(NamedTuple):
    """A configuration snapshot at its position in one partition's log."""

    version: int  # a partition applies a version once, and never an older one
    config: SyncConfig
    log_time: int
    cause: Cause  # the snapshot's control id and position


class LoggedRefresh(NamedTuple):
    """A refresh request (the periodic Refresh, or an operator's) in one partition's log."""

    store_ids: frozenset[str] | None  # None: every store
    log_time: int
    cause: Cause


LogEntry = LoggedEvent | LoggedConfig | LoggedRefresh


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
    log: Iterable[LogEntry | tuple[StockEvent, int, Cause]],
    config: SyncConfig,
    *,
    rules: Mapping[str, SyncRule] | None = None,
    window_ms: int = DEFAULT_WINDOW_MS,
    closed_order_retention_ms: int = DEFAULT_CLOSED_ORDER_RETENTION_MS,
) -> PushReplay:
    """Fold `log` (events as (event, log time, cause), and control messages) into stock, listing
    states and every emitted record.

    Every partition starts with `config`; a logged snapshot replaces it in its partition. With
    `rules`, every snapshot's rules are replaced by them (its stores stay): what the log would
    have pushed under another rule set.
    """
    replay = _Replay(config, rules, window_ms, closed_order_retention_ms)
    for entry in log:
        if isinstance(entry, LoggedConfig):
            replay.configure(entry)
        elif isinstance(entry, LoggedRefresh):
            replay.refresh(entry.cause, entry.log_time, entry.store_ids)
        else:
            replay.fold(*entry)
    return replay.finish()


class _Replay:
    def __init__(
        self,
        config: SyncConfig,
        rules: Mapping[str, SyncRule] | None,
        window_ms: int,
        retention_ms: int,
    ) -> None:
        self._initial = config
        self._rules = rules
        self._window_ms = window_ms
        self._retention_ms = retention_ms
        self._configs: dict[int, tuple[int, SyncConfig]] = {}  # partition -> (version, config)
        self._skus: dict[int, set[str]] = {}  # partition -> its SKUs with stock
        self._seen: set[tuple[str, str]] = set()
        self.stocks: dict[str, SkuStock] = {}
        self.listings: dict[str, SkuListings] = {}
        self.records: list[SyncRecord] = []
        self.emitted: list[SyncRecord] = []
        self.rejected: list[tuple[StockEvent, Rejected]] = []

    def fold(self, event: StockEvent, log_time: int, cause: Cause) -> None:
        sku = event.merchant_sku
        sku_listings = self._due_closed(sku, log_time)
        before = self.stocks.get(sku) or SkuStock.empty(sku)
        outcome = self._applied(before, event)
        made: list[SyncRecord] = []
        if isinstance(outcome, Rejected):
            self.rejected.append((event, outcome))
        else:
            self.stocks[sku] = outcome
            self._skus.setdefault(cause.partition, set()).add(sku)
            made = records_for_trigger(
                event, cause, log_time, before, outcome, self._config(cause.partition),
                sku_listings,
            )  # fmt: skip
        self._admit(sku_listings, made)

    def configure(self, entry: LoggedConfig) -> None:
        partition = entry.cause.partition
        version, old = self._configs.get(partition, (-1, self._initial))
        if entry.version <= version:
            return  # relayed again: the partition has it already
        new = entry.config
        if self._rules is not None:
            new = SyncConfig(dict(self._rules), new.stores)
        affected = affected_stores(old, new)
        if affected:
            self.refresh(entry.cause, entry.log_time, affected, new)
        self._configs[partition] = (entry.version, new)

    def refresh(
        self,
        cause: Cause,
        log_time: int,
        store_ids: frozenset[str] | None,
        config: SyncConfig | None = None,
    ) -> None:
        """Push the current quantity of every SKU of the cause's partition to `store_ids`."""
        if config is None:
            config = self._config(cause.partition)
        for sku in sorted(self._skus.get(cause.partition, ())):
            stock = self.stocks[sku]
            if not stock.mappings:
                continue  # no listing: nothing to push
            sku_listings = self._due_closed(sku, log_time)
            made = records_for_refresh(
                sku, stock, cause, log_time, Reason.REFRESH_INVENTORY, config, sku_listings,
                store_ids,
            )  # fmt: skip
            self._admit(sku_listings, made)

    def finish(self) -> PushReplay:
        for sku in sorted(self.listings):
            self.listings[sku], closed = close_all(self.listings[sku])
            self.emitted.extend(closed)
        return PushReplay(
            self.stocks, self.listings, tuple(self.records), tuple(self.emitted),
            tuple(self.rejected),
        )  # fmt: skip

    def _config(self, partition: int) -> SyncConfig:
        return self._configs.get(partition, (-1, self._initial))[1]

    def _due_closed(self, sku: str, log_time: int) -> SkuListings:
        """The SKU's listings with the windows `log_time` has passed closed (and emitted)."""
        sku_listings, closed = close_all_due(
            self.listings.get(sku) or SkuListings.empty(sku), log_time
        )
        self.emitted.extend(closed)
        return sku_listings

    def _admit(self, sku_listings: SkuListings, made: list[SyncRecord]) -> None:
        self.records.extend(made)
        sku_listings, admitted = admit_all(sku_listings, made, self._window_ms)
        self.emitted.extend(admitted)
        if sku_listings.listings:
            self.listings[sku_listings.merchant_sku] = sku_listings

    def _applied(self, state: SkuStock, event: StockEvent) -> SkuStock | Rejected:
        identity = (event.merchant_sku, event.event_id)
        if identity in self._seen:
            return Rejected(
                RejectionReason.DUPLICATE_EVENT, f"event {event.event_id!r} was seen before"
            )
        self._seen.add(identity)
        return apply(state, event, closed_order_retention_ms=self._retention_ms)
