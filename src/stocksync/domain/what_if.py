"""`what_if`: what a log would have pushed under another rule set, compared with what it pushed.

    report = what_if(log, rules, since=t)   # log: LoggedEvent/LoggedConfig/LoggedRefresh entries

The log is replayed twice through the reference pipeline (`replay_pushes`): as logged, with every
configuration snapshot at its position, and with each snapshot's rules replaced by `rules` (its
stores stay as logged). Before a partition's first snapshot nothing is configured in either run,
as in the live application. Both runs see the same log, so their dedup windows are the same
aligned intervals of log time: the pushes of one listing are compared window by window.

Per listing (store, store SKU, merchant SKU), over pushes whose trigger reached the log within
[since, until) (until excluded, as in the history queries): pushes and zero-outs (pushes of
quantity 0) in each run, the last pushed quantity, and for the windows both runs pushed in, the
differences of the quantities (what-if - actual).
Only listings that differ are reported, the largest difference first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from stocksync.domain.dedup import DEFAULT_WINDOW_MS, window_start
from stocksync.domain.push_replay import LogEntry, replay_pushes
from stocksync.domain.sync import SyncRecord, SyncRule
from stocksync.domain.sync_config import EMPTY_CONFIG

ListingKey = tuple[str, str, str]  # (store_id, store_sku, merchant_sku)


@dataclass(frozen=True, slots=True)
class Side:
    """One run's pushes to one listing within the reported range."""

    pushes: int = 0
    zero_outs: int = 0
    last_qty: int | None = None  # after qty of its latest push; None: no push


@dataclass(frozen=True, slots=True)
class ListingDiff:
    store_id: str
    store_sku: str
    merchant_sku: str
    actual: Side
    what_if: Side
    compared: int  # windows both runs pushed in
    qty_diff_sum: int  # sum over those windows of what-if qty - actual qty
    max_abs_diff: int  # the largest |what-if qty - actual qty| over those windows
    only_actual: int  # windows only the logged run pushed in
    only_what_if: int  # windows only the what-if run pushed in

    @property
    def qty_diff_mean(self) -> float | None:
        return self.qty_diff_sum / self.compared if self.compared else None

    @property
    def differs(self) -> bool:
        return bool(self.max_abs_diff or self.only_actual or self.only_what_if)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "qty_diff_mean": self.qty_diff_mean}


@dataclass(frozen=True, slots=True)
class WhatIfReport:
    since: int
    until: int | None  # excluded
    rows: tuple[ListingDiff, ...]  # only listings that differ, the largest difference first
    listings: int  # listings either run pushed to within the range
    actual: Side = field(default_factory=Side)  # totals (last_qty unused)
    what_if: Side = field(default_factory=Side)
    qty_diff_sum: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        totals = {name: {"pushes": side.pushes, "zero_outs": side.zero_outs}
                  for name, side in (("actual", self.actual), ("what_if", self.what_if))}
        return {
            "since": self.since, "until": self.until, "listings": self.listings,
            "differing": len(self.rows), "totals": {**totals, "qty_diff_sum": self.qty_diff_sum},
            "rows": [row.as_dict() for row in self.rows],
        }  # fmt: skip


def what_if(
    log: Sequence[LogEntry],
    rules: Mapping[str, SyncRule],
    *,
    since: int,
    until: int | None = None,
    window_ms: int = DEFAULT_WINDOW_MS,
) -> WhatIfReport:
    """Compare the pushes of `log` as logged with those under `rules` (see the module doc)."""
    actual = replay_pushes(log, EMPTY_CONFIG, window_ms=window_ms)
    changed = replay_pushes(log, EMPTY_CONFIG, rules=rules, window_ms=window_ms)
    return compare_pushes(actual.pushes, changed.pushes, since=since, until=until,
                          window_ms=window_ms)


def compare_pushes(
    actual: Iterable[SyncRecord],
    changed: Iterable[SyncRecord],
    *,
    since: int,
    until: int | None = None,
    window_ms: int = DEFAULT_WINDOW_MS,
) -> WhatIfReport:
    """The report comparing two runs' pushes (in emitted order) over [since, until)."""
    ours = _by_window(actual, since, until, window_ms)
    theirs = _by_window(changed, since, until, window_ms)
    keys = ours.keys() | theirs.keys()
    rows = [_diff(key, ours.get(key, {}), theirs.get(key, {})) for key in keys]
    differing = sorted(
        (row for row in rows if row.differs),
        key=lambda r: (-r.max_abs_diff, -(r.only_actual + r.only_what_if), -abs(r.qty_diff_sum),
                       r.store_id, r.store_sku, r.merchant_sku),
    )  # fmt: skip
    return WhatIfReport(
        since, until, tuple(differing), len(rows),
        actual=_total(row.actual for row in rows),
        what_if=_total(row.what_if for row in rows),
        qty_diff_sum=sum(row.qty_diff_sum for row in rows),
    )  # fmt: skip


def _by_window(
    pushes: Iterable[SyncRecord], since: int, until: int | None, window_ms: int
) -> dict[ListingKey, dict[int, int]]:
    """Per listing, window start -> the quantity pushed for it (in emitted order, so the last
    window is the latest push)."""
    found: dict[ListingKey, dict[int, int]] = {}
    for push in pushes:
        if push.log_time < since or (until is not None and push.log_time >= until):
            continue
        windows = found.setdefault((push.store_id, push.store_sku, push.merchant_sku), {})
        start = window_start(push.log_time, window_ms)
        windows.pop(start, None)  # a repeat (log time went back) counts as the latest
        windows[start] = push.after_qty
    return found


def _diff(key: ListingKey, actual: dict[int, int], changed: dict[int, int]) -> ListingDiff:
    both = actual.keys() & changed.keys()
    diffs = [changed[window] - actual[window] for window in both]
    return ListingDiff(
        *key, actual=_side(actual), what_if=_side(changed), compared=len(both),
        qty_diff_sum=sum(diffs), max_abs_diff=max(map(abs, diffs), default=0),
        only_actual=len(actual.keys() - both), only_what_if=len(changed.keys() - both),
    )  # fmt: skip


def _side(pushed: dict[int, int]) -> Side:
    quantities = list(pushed.values())
    return Side(len(quantities), quantities.count(0), quantities[-1] if quantities else None)


def _total(sides: Iterable[Side]) -> Side:
    pushes = zero_outs = 0
    for side in sides:
        pushes += side.pushes
        zero_outs += side.zero_outs
    return Side(pushes, zero_outs)
