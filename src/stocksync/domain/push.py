"""The pure push domain: the one entry point the push agent, replays and what-if runs import.

    qty = listed_quantity(rule, stock, store_id)
    made = records_for_trigger(event, cause, log_time, before, after, config, listings)
    listings, emitted = admit_all(listings, made, window_ms)   # SKIPPED markers, PENDING pushes
    listings, emitted = close_all_due(listings, watermark)     # PENDING pushes of closed windows
    result = replay_pushes(log, config)                        # the reference over a whole log
    report = what_if(log, rules, since=t)                      # the log under other rules

No Faust, Kafka, I/O, clock or randomness here: only log time, event time and the standard library.
"""

from stocksync.domain.dedup import (
    DEFAULT_WINDOW_MS,
    admit,
    admit_all,
    close,
    close_all,
    close_all_due,
    close_due,
    window_start,
)
from stocksync.domain.listings import NO_LISTING_STATE, ListingState, OpenWindow, SkuListings
from stocksync.domain.push_replay import (
    LogEntry,
    LoggedConfig,
    LoggedEvent,
    LoggedRefresh,
    PushReplay,
    replay_pushes,
)
from stocksync.domain.rules import (
    available_sum,
    listed_for_sum,
    listed_quantity,
    promotion_reserve,
)
from stocksync.domain.sync_config import (
    EMPTY_CONFIG,
    UNKNOWN_MARKETPLACE,
    ConfigProblem,
    ProblemCode,
    SyncConfig,
    affected_stores,
    validate_config,
)
from stocksync.domain.sync_records import (
    record_id,
    records_for_refresh,
    records_for_trigger,
    refresh_record_id,
)

__all__ = [
    "DEFAULT_WINDOW_MS",
    "EMPTY_CONFIG",
    "NO_LISTING_STATE",
    "UNKNOWN_MARKETPLACE",
    "ConfigProblem",
    "ListingState",
    "LogEntry",
    "LoggedConfig",
    "LoggedEvent",
    "LoggedRefresh",
    "OpenWindow",
    "ProblemCode",
    "PushReplay",
    "SkuListings",
    "SyncConfig",
    "admit",
    "admit_all",
    "affected_stores",
    "available_sum",
    "close",
    "close_all",
    "close_all_due",
    "close_due",
    "listed_for_sum",
    "listed_quantity",
    "promotion_reserve",
    "record_id",
    "records_for_refresh",
    "records_for_trigger",
    "refresh_record_id",
    "replay_pushes",
    "validate_config",
    "window_start",
]
