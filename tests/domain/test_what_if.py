"""What-if runs: a log's pushes under another rule set, and the control messages they replay."""

from __future__ import annotations

import dataclasses

from stocksync.domain.events import Reason, StockEvent
from stocksync.domain.push import (
    EMPTY_CONFIG,
    LogEntry,
    LoggedConfig,
    LoggedEvent,
    LoggedRefresh,
    SyncConfig,
    replay_pushes,
)
from stocksync.domain.sync import Cause
from stocksync.domain.what_if import Side, what_if

from .builders import SKU, mapping, received_manually, sale
from .push_builders import TOPIC, config, rule, store


class Log:
    """Builds a log of one partition (or several), at increasing offsets per partition."""

    def __init__(self) -> None:
        self.entries: list[LogEntry] = []
        self._offsets: dict[int, int] = {}

    def _cause(self, event_id: str, partition: int) -> Cause:
        offset = self._offsets.get(partition, 0)
        self._offsets[partition] = offset + 1
        return Cause(event_id, TOPIC, partition, offset)

    def event(self, at: int, event: StockEvent, partition: int = 0) -> Log:
        self.entries.append(LoggedEvent(event, at, self._cause(event.event_id, partition)))
        return self

    def config(self, at: int, version: int, sync_config: SyncConfig, partition: int = 0) -> Log:
        cause = self._cause(f"config-{version}", partition)
        self.entries.append(LoggedConfig(version, sync_config, at, cause))
        return self

    def refresh(self, at: int, *store_ids: str, partition: int = 0) -> Log:
        cause = self._cause(f"refresh-{at}", partition)
        self.entries.append(LoggedRefresh(frozenset(store_ids) or None, at, cause))
        return self


def selling(sync_config: SyncConfig) -> Log:
    """R1's config at 0; 50 apples and a listing (a push of 50 at 100 %); sales of 10 and 5,
    two windows apart (pushes of 40 and 35)."""
    return (Log().config(0, 0, sync_config)
            .event(10, received_manually(50)).event(20, mapping("S1", "a1"))
            .event(2_000, sale(10)).event(4_000, sale(5)))  # fmt: skip


def test_80_percent_instead_of_100_lists_a_fifth_less() -> None:
    """50, 40, 35 at 100 % would have been 40, 32, 28 at 80 %."""
    log = selling(config(rule())).entries
    report = what_if(log, {"R1": rule(percent=80)}, since=0)
    [row] = report.rows
    assert ("S1", "a1", SKU) == (row.store_id, row.store_sku, row.merchant_sku)
    assert (Side(3, 0, 35), Side(3, 0, 28)) == (row.actual, row.what_if)
    assert (3, -25, 10, 0, 0) == (row.compared, row.qty_diff_sum, row.max_abs_diff,
                                  row.only_actual, row.only_what_if)
    assert -25 / 3 == row.qty_diff_mean == row.as_dict()["qty_diff_mean"]
    assert (1, Side(3, 0), Side(3, 0), -25) == (report.listings, report.actual, report.what_if,
                                                report.qty_diff_sum)


def test_only_triggers_logged_since_the_start_are_reported() -> None:
    """Since 2 000: the two sales' pushes only, though the log before them is replayed; until
    2 000 (excluded): the first push only."""
    log = selling(config(rule())).entries
    [row] = what_if(log, {"R1": rule(percent=80)}, since=2_000).rows
    assert (Side(2, 0, 35), Side(2, 0, 28), -15) == (row.actual, row.what_if, row.qty_diff_sum)
    [row] = what_if(log, {"R1": rule(percent=80)}, since=0, until=2_000).rows
    assert (Side(1, 0, 50), Side(1, 0, 40)) == (row.actual, row.what_if)


def test_a_threshold_rule_zeroes_out_below_it() -> None:
    """Zero below 40: 50 and 40 are listed as they are, 35 becomes a zero-out."""
    log = selling(config(rule())).entries
    [row] = what_if(log, {"R1": rule(zero_below=40)}, since=0).rows
    assert (Side(3, 0, 35), Side(3, 1, 0)) == (row.actual, row.what_if)
    assert (-35, 35) == (row.qty_diff_sum, row.max_abs_diff)


def test_identical_rules_make_no_difference() -> None:
    log = selling(config(rule(percent=90, buffer=2))).entries
    report = what_if(log, {"R1": rule(percent=90, buffer=2)}, since=0)
    assert ((), 1, 0) == (report.rows, report.listings, report.qty_diff_sum)
    assert {"actual": {"pushes": 3, "zero_outs": 0}, "what_if": {"pushes": 3, "zero_outs": 0},
            "qty_diff_sum": 0} == report.as_dict()["totals"]
    assert report.actual == report.what_if == Side(3, 0)


def test_rows_come_largest_difference_first() -> None:
    """One rule for S1 and S2, against 90 % for S1 and 50 % for S2: S2 differs most."""
    log = (Log().config(0, 0, config(rule(stores=("S1", "S2"))))
           .event(10, received_manually(50)).event(20, mapping("S1", "a1"))
           .event(30, mapping("S2", "b1")).event(2_000, sale(10)).entries)  # fmt: skip
    rules = {"R1": rule(stores=("S1",), percent=90), "R2": rule("R2", stores=("S2",), percent=50)}
    rows = what_if(log, rules, since=0).rows
    assert [("S2", 25, -45), ("S1", 5, -9)] == [(r.store_id, r.max_abs_diff, r.qty_diff_sum)
                                                for r in rows]


def test_a_logged_rule_change_repushes_but_the_what_if_rules_stay() -> None:
    """The log changes R1 to 50 % at 6 000 (a re-push of 17); run with 100 % throughout, the
    what-if has no such push: the window of the re-push is pushed by the actual run only."""
    log = selling(config(rule())).config(6_000, 1, config(rule(percent=50))).entries
    actual = replay_pushes(log, EMPTY_CONFIG)
    repush = actual.pushes[-1]
    assert (Reason.REFRESH_INVENTORY, 17, "config-1") == (repush.reason, repush.after_qty,
                                                          repush.cause.event_id)
    [row] = what_if(log, {"R1": rule()}, since=0).rows
    assert (Side(4, 0, 17), Side(3, 0, 35), 1, 0) == (row.actual, row.what_if, row.only_actual,
                                                       row.max_abs_diff)


def test_a_store_change_repushes_in_both_runs() -> None:
    """A store's changed settings re-push its listings under either rule set."""
    renamed = dataclasses.replace(config(rule()), stores={"S1": store("S1", "lazada")})
    log = selling(config(rule())).config(6_000, 1, renamed).entries
    [row] = what_if(log, {"R1": rule(percent=80)}, since=6_000).rows
    assert (Side(1, 0, 35), Side(1, 0, 28)) == (row.actual, row.what_if)
    assert "lazada" == replay_pushes(log, EMPTY_CONFIG).pushes[-1].marketplace


def test_a_snapshot_relayed_again_is_applied_once() -> None:
    """Version 1 arrives twice; an older version after it changes nothing."""
    log = (selling(config(rule())).config(6_000, 1, config(rule(percent=50)))
           .config(8_000, 1, config(rule(percent=50)))
           .config(9_000, 0, config(rule())).event(12_000, sale(1)).entries)  # fmt: skip
    pushes = replay_pushes(log, EMPTY_CONFIG).pushes
    assert [50, 40, 35, 17, 17] == [p.after_qty for p in pushes]


def test_refresh_requests_repush_the_partitions_listings() -> None:
    """A refresh of every store, then one of S2 only (a store without listings here)."""
    log = selling(config(rule())).refresh(6_000).refresh(8_000, "S2").entries
    pushes = replay_pushes(log, EMPTY_CONFIG).pushes
    assert [(Reason.REFRESH_INVENTORY, 35)] == [(p.reason, p.after_qty) for p in pushes[3:]]
    [row] = what_if(log, {"R1": rule(percent=80)}, since=6_000).rows
    assert (Side(1, 0, 35), Side(1, 0, 28)) == (row.actual, row.what_if)


def test_control_messages_apply_to_their_own_partition() -> None:
    """A config in partition 1 leaves partition 0's SKU without rules: it pushes nothing."""
    log = Log().config(0, 0, config(rule()), partition=1)
    log.event(10, received_manually(50)).event(20, mapping("S1", "a1"))
    assert () == replay_pushes(log.entries, EMPTY_CONFIG).pushes
    log.config(30, 0, config(rule()), partition=0)
    assert [50] == [p.after_qty for p in replay_pushes(log.entries, EMPTY_CONFIG).pushes]


def test_before_the_first_snapshot_neither_run_pushes() -> None:
    log = Log().event(10, received_manually(50)).event(20, mapping("S1", "a1")).entries
    report = what_if(log, {"R1": rule()}, since=0)
    assert ((), 0) == (report.rows, report.listings)
