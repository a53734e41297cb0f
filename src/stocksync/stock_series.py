"""A SKU's available stock over time, from the log: the plain-Python fold of its events, with a
point each time an applied event changed what is available (in total or in one warehouse).

    series_of(entries, "APPLE", since_ms=None, limit=500)   # pure: entries of the log, in order
    stock_series(settings, "APPLE", since_ms, until_ms, limit)   # reads the SKU's partition

A point is the state after the event, at the event's log time (the time it reached the log),
the same instant `GET /stock/{sku}?as_of=` answers for. Events the fold rejects (and repeats of
an event id) change nothing and make no point, nor do applied ones that leave what is available
as it was (from no stock at all before the first). With `since_ms`, the first point is the stock
at `since_ms` as `as_of` answers it (the events logged at or before it; when there are any), so a
chart starts at its left edge with the right value; with more than `limit` points, the newest `limit` are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stocksync.domain.push import LogEntry, LoggedEvent
from stocksync.domain.rejections import Rejected
from stocksync.domain.sku_stock import SkuStock
from stocksync.domain.transitions import apply
from stocksync.settings import Settings
from stocksync.stock_log import read_stock_log

DEFAULT_POINTS = 500
MAX_POINTS = 5000


def _point(log_time: int, state: SkuStock) -> dict[str, Any]:
    warehouses = {wid: state.warehouses[wid].available for wid in sorted(state.warehouses)}
    return {"log_time": log_time, "available": sum(warehouses.values()),
            "warehouses": warehouses}


def series_of(entries: Iterable[LogEntry], merchant_sku: str, *, since_ms: int | None = None,
              limit: int = DEFAULT_POINTS) -> dict[str, Any] | None:
    """The series of `merchant_sku` over `entries` (its log, in log order); None when no event
    of it is there. `truncated`: older points were left out to keep `limit`."""
    state, seen = SkuStock.empty(merchant_sku), set()
    before: dict[str, Any] | None = None  # the stock at `since_ms`, from the events before it
    points: list[dict[str, Any]] = []
    any_event = False
    for entry in entries:
        if not isinstance(entry, LoggedEvent) or entry.event.merchant_sku != merchant_sku:
            continue
        any_event = True
        if entry.event.event_id in seen:  # a repeat: the fold rejects it as a duplicate
            continue
        seen.add(entry.event.event_id)
        outcome = apply(state, entry.event)
        if isinstance(outcome, Rejected):
            continue
        point = _point(entry.log_time, outcome)
        state = outcome
        if since_ms is not None and entry.log_time <= since_ms:  # as `as_of` it counts
            before = {**point, "log_time": since_ms}
            continue
        last = points[-1] if points else before or _point(0, SkuStock.empty(merchant_sku))
        if (last["available"], last["warehouses"]) != (point["available"], point["warehouses"]):
            points.append(point)
    if not any_event:
        return None
    if before is not None:
        points.insert(0, before)
    truncated = len(points) > limit
    return {"merchant_sku": merchant_sku, "points": points[-limit:], "truncated": truncated}


def stock_series(settings: Settings, merchant_sku: str, *, since_ms: int | None = None,
                 until_ms: int | None = None,
                 limit: int = DEFAULT_POINTS) -> dict[str, Any] | None:
    """The series from the log up to `until_ms` (or its end when the read begins)."""
    return series_of(read_stock_log(settings, until_ms=until_ms, merchant_sku=merchant_sku),
                     merchant_sku, since_ms=since_ms, limit=limit)
