"""A SKU's stock as it was at an instant: the plain-Python fold of its events logged up to then.

The live fold's state after the last message logged at or before the instant; its "now" is the
live table's (once the fold has caught up). Reads the SKU's partition from its start.
"""

from __future__ import annotations

from typing import Any

from stocksync.domain.push import LoggedEvent
from stocksync.domain.stock import fold, stock_view
from stocksync.projections.query_errors import QueryError
from stocksync.projections.time_ranges import parse_instant
from stocksync.settings import Settings
from stocksync.stock_log import read_stock_log

AS_OF = "as_of"


def parse_as_of(value: str, settings: Settings) -> int:
    """Epoch ms from epoch ms, an ISO 8601 time (local time in STOCKSYNC_TIME_ZONE without an
    offset) or an ISO date (its first instant); QueryError naming `as_of` otherwise."""
    instant = parse_instant(value.strip(), settings.time_zone, AS_OF)
    if instant < 0:
        raise QueryError(AS_OF, f"{value!r} is before the log can begin (1970)")
    return instant


def stock_as_of(settings: Settings, merchant_sku: str, as_of_ms: int) -> dict[str, Any] | None:
    """The stock view of `merchant_sku` at `as_of_ms`; None when no event of it had been logged
    (the live table has no row for a SKU before its first event, applied or rejected)."""
    events = [entry.event for entry in read_stock_log(settings, until_ms=as_of_ms,
                                                      merchant_sku=merchant_sku)
              if isinstance(entry, LoggedEvent)]
    if not events:
        return None
    return stock_view(fold(events).state(merchant_sku))
