"""`stocksync whatif` against the real broker: a worker folds a history (triggers, a refresh
request, a store change); the what-if run with the live rules finds no difference, with 80 % it
reports what the pure function computes from the topic, its "actual" side is what the worker
pushed, and the run writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import (
    OrderStatus,
    OrderSynced,
    StockReceivedManually,
    StockRemovedManually,
)
from stocksync.domain.push import EMPTY_CONFIG, LogEntry, replay_pushes
from stocksync.domain.sync import Store, SyncRecord, SyncRule, SyncStatus
from stocksync.domain.what_if import what_if
from stocksync.projections.sync_history import read_sync_records
from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import rule_to_avro
from stocksync.settings import Settings
from stocksync.stock_log import logged_entry
from stocksync.topic_reader import end_offsets, read_to_end
from stocksync.topics import ALL_TOPICS, STOCK_EVENTS
from tests.e2e.pipeline import Events, publish, wait_for_config
from tests.harness import WorkerProcess, eventually, settings_env

pytestmark = pytest.mark.kafka

RULE = SyncRule("main", frozenset({"WH-1"}), frozenset({"S1", "S2"}))


@pytest.fixture(scope="module")
def namespace(namespace: Settings) -> Settings:
    """Only the fold: the records it emits are the pushes compared; nothing is sent anywhere."""
    return namespace.with_overrides(agents="fold")


def logged(settings: Settings) -> list[LogEntry]:
    """The topic as the domain sees it, from a plain read of it to its end."""
    codec = default_codec()
    entries = (logged_entry(r, codec, settings.partitions)
               for r in read_to_end(settings, settings.topic(STOCK_EVENTS.name)))
    return [entry for entry in entries if entry is not None]


def live_pushes(settings: Settings) -> list[SyncRecord]:
    """The records the worker kept (not SKIPPED), oldest trigger first."""
    return sorted((r for r in read_sync_records(settings).values()
                   if r.status is not SyncStatus.SKIPPED),
                  key=lambda r: (r.log_time, r.cause.partition, r.cause.offset, r.store_id))


def wait_until_pushed(settings: Settings) -> list[LogEntry]:
    """Until the worker has pushed what the reference pipeline pushes for the log (its windows
    close on the wall clock once idle); the log."""
    def settled() -> list[LogEntry] | None:
        log = logged(settings)
        reference = replay_pushes(log, EMPTY_CONFIG, window_ms=settings.window_ms).pushes
        ours = {(r.record_id, r.after_qty) for r in reference}
        return log if ours == {(r.record_id, r.after_qty) for r in live_pushes(settings)} else None

    return eventually(settled, timeout_s=60, what="the worker to push what the log calls for")


def run_whatif(settings: Settings, rules: list[SyncRule], *args: str,
               path: Path) -> subprocess.CompletedProcess:
    path.write_text(json.dumps([rule_to_avro(rule) for rule in rules]))
    env = {**os.environ, **settings_env(settings)}
    return subprocess.run([sys.executable, "-m", "stocksync", "whatif", "--rules", str(path),
                           *args], capture_output=True, text=True, env=env, timeout=120,
                          check=False)


def test_whatif_replays_the_log_under_other_rules(workers, topics: Settings,
                                                 tmp_path: Path) -> None:
    writer = ConfigWriter(topics)
    for store_id in ("S1", "S2"):
        writer.put_store(Store(store_id, f"{store_id} shop", "shopee"))
    writer.put_rule(RULE)
    worker: WorkerProcess = workers.start("a")
    wait_for_config(worker, topics)
    x, y = Events("WHATIF-X", "WH-1"), Events("WHATIF-Y", "WH-1")
    # Step 1: a history in steps, each pushed before the next: stock and listings, an order
    # and a stock-out (Y is left with 1 unit: 0 at 80 %), a refresh of S1, a store change
    # (re-pushes S2), more stock.
    publish(topics, [x(StockReceivedManually, qty=40), y(StockReceivedManually, qty=9),
                     x.mapped("S1", "x1"), x.mapped("S2", "x2"), y.mapped("S1", "y1")])
    wait_until_pushed(topics)
    publish(topics, [x(OrderSynced, order_id="O-1", store_id="S1", qty=5,
                       order_status=OrderStatus.NEW), y(StockRemovedManually, qty=8)])
    wait_until_pushed(topics)
    assert 200 == worker.post("/refresh", {"store_ids": ["S1"]})[0]
    wait_until_pushed(topics)
    writer.put_store(Store("S2", "S2 renamed", "shopee"))
    wait_for_config(worker, topics)
    log = wait_until_pushed(topics)
    until = max(entry.log_time for entry in log) + 1
    publish(topics, [x(StockReceivedManually, qty=10), y(StockReceivedManually, qty=2)])
    log = wait_until_pushed(topics)
    reasons = {r.reason.value for r in live_pushes(topics)}
    assert {"MAPPING_CHANGED", "SYNC_ORDER", "STOCK_OUT_MANUAL", "REFRESH_INVENTORY",
            "STOCK_IN_MANUAL"} == reasons
    before = {spec.name: end_offsets(topics, topics.topic(spec.name)) for spec in ALL_TOPICS}

    # Step 2: the live rules change nothing.
    same = run_whatif(topics, [RULE], "--since", "0", "--json", path=tmp_path / "same.json")
    assert 0 == same.returncode, same.stderr
    report = json.loads(same.stdout)
    assert ([], 3) == (report["rows"], report["listings"])
    assert report["totals"]["actual"] == report["totals"]["what_if"]

    # Step 3: 80 %: what the pure function computes from the topic, and the actual side is what
    # the worker pushed.
    eighty = SyncRule("main", RULE.warehouses, RULE.store_ids, Decimal(80))
    result = run_whatif(topics, [eighty], "--since", "0", "--json", path=tmp_path / "80.json")
    assert 0 == result.returncode, result.stderr
    report = json.loads(result.stdout)
    expected = what_if(log, {"main": eighty}, since=0, window_ms=topics.window_ms).as_dict()
    assert expected == report
    pushed = live_pushes(topics)
    assert len(pushed) == report["totals"]["actual"]["pushes"]
    for row in report["rows"]:
        listing = [r.after_qty for r in pushed
                   if (r.store_id, r.store_sku) == (row["store_id"], row["store_sku"])]
        assert (len(listing), listing[-1]) == (row["actual"]["pushes"],
                                               row["actual"]["last_qty"])
    assert 3 == report["differing"]
    # Y's 1 unit is 0 at 80 %: after the stock-out, and again at the refresh of S1.
    assert [(0, 2)] == [(row["actual"]["zero_outs"], row["what_if"]["zero_outs"])
                        for row in report["rows"] if row["store_sku"] == "y1"]

    # Step 4: --until reads the log up to then only.
    result = run_whatif(topics, [eighty], "--since", "0", "--until", str(until), "--json",
                        path=tmp_path / "80.json")
    assert 0 == result.returncode, result.stderr
    earlier = [entry for entry in log if entry.log_time < until]
    assert what_if(earlier, {"main": eighty}, since=0, until=until,
                   window_ms=topics.window_ms).as_dict() == json.loads(result.stdout)
    # The table form names the listings and the totals.
    table = run_whatif(topics, [eighty], "--since", "0", path=tmp_path / "80.json").stdout
    assert "x1" in table and "3 of 3 listings differ" in table

    # Step 5: rules with problems are refused; nothing was written by any run.
    bad = run_whatif(topics, [SyncRule("main", RULE.warehouses, frozenset({"S9"}))], "--since",
                     "0", path=tmp_path / "bad.json")
    assert (2, True) == (bad.returncode, "UNKNOWN_STORE" in bad.stderr)
    assert before == {spec.name: end_offsets(topics, topics.topic(spec.name))
                      for spec in ALL_TOPICS}
