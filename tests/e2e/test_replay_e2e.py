"""Replay against the broker: a live run, then replays of its log into new applications.

The live history has every reason (the benchmark's shop, plus a promotion reserve), bursts that
make SKIPPED markers, a rule change in the middle, pushes that fail and a bulk retry of them,
a duplicate event, an inapplicable one and undecodable bytes. A replay of that log, with one
worker or two, must derive exactly what the live application derived; a replay cut short by
--until must not (so `compare` can tell).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from bench.workload import WorkloadShape, setup_events, sku_name, store_sku, stores_and_rules, traffic
from stocksync.app_compare import compare_apps, render
from stocksync.domain.events import OrderVoided, PromotionReserveSet, Reason
from stocksync.domain.sync import SyncStatus
from stocksync.projections.sync_history import read_sync_records
from stocksync.publisher import StockEventPublisher
from stocksync.replay_run import ReplayError, replay_settings, run_replay
from stocksync.settings import Settings
from stocksync.topic_reader import read_to_end
from stocksync.topics import STOCK_EVENTS
from tests.e2e.marketplace import MarketplaceProcess
from tests.e2e.pipeline import put_config, running_marketplace, wait_for_config
from tests.harness import WorkerProcess, eventually, settings_env

pytestmark = pytest.mark.kafka

T0 = 1_767_225_600_000
SHAPE = WorkloadShape(skus=24, warehouses=3, stores=3, rules=2, burst_probability=0.03, seed=11)


@pytest.fixture(scope="module")
def marketplace(topics: Settings) -> Iterator[MarketplaceProcess]:
    with running_marketplace(topics, rate_limit=500.0) as process:
        yield process


def settled(worker: WorkerProcess, settings: Settings) -> dict:
    """The live records once no window is open and none is PENDING."""
    def done() -> dict | None:
        if worker.stats()["open_windows"]:
            return None
        records = read_sync_records(settings)
        return records if records and all(
            r.status is not SyncStatus.PENDING for r in records.values()) else None

    return eventually(done, timeout_s=120, interval_s=0.5, what="the live records to settle")


@pytest.fixture(scope="module")
def live(workers, topics: Settings, marketplace: MarketplaceProcess) -> dict:
    """The live run; its records, and the log time before the retry."""
    stores, rules = stores_and_rules(SHAPE, marketplace.url, requests_per_second=200.0)
    writer = put_config(topics, stores, rules)
    worker = workers.start("live")
    wait_for_config(worker, topics)
    # The best seller's listing in S1 refuses its next pushes (AUTH_EXPIRED, not retried).
    failing = store_sku("S1", 0)
    marketplace.post("/admin/fail", {"store_id": "S1", "store_sku": failing, "status": 401,
                                     "times": 3})
    shop = list(traffic(SHAPE, 2400, start_ms=T0 + 1000))
    with StockEventPublisher(topics) as publisher:
        publisher.publish(setup_events(SHAPE, start_ms=T0))
        for n, start in enumerate(range(0, len(shop), 600)):
            time.sleep(1.1 if n else 0)  # log times in new windows
            publisher.publish(shop[start:start + 600])
        extras = [
            PromotionReserveSet(event_id="promo-1", merchant_sku=sku_name(1), warehouse_id="W1",
                                occurred_at=T0 + 5000, source="test", store_id="S2", qty=2),
            shop[5],  # a duplicate event id
            OrderVoided(event_id="void-unknown", merchant_sku=sku_name(2), warehouse_id="W1",
                        occurred_at=T0 + 5000, source="test", order_id="no-such-order"),
        ]
        publisher.publish(extras)
        publisher.publish_raw(sku_name(3).encode(), b"not avro at all")
    settled(worker, topics)
    # A rule change in the middle of the history re-pushes what it affects.
    writer.put_rule(dataclasses.replace(rules[0], percent=Decimal(80)))
    wait_for_config(worker, topics)
    records = settled(worker, topics)
    failed = [r for r in records.values() if r.status is SyncStatus.FAILED]
    assert failed and {"AUTH_EXPIRED"} == {r.failure_code.value for r in failed}
    before_retry = max(m.timestamp for m in read_to_end(topics, topics.topic(STOCK_EVENTS.name)))
    time.sleep(0.01)
    status, answer = worker.post("/push-records/retry",
                                 {"filter": {"failure_reason": "auth_expired"}})
    assert 200 == status and answer["queued"], answer
    retry_id = answer["queued"][0]["event_id"]
    records = eventually(lambda: (lambda found: found if any(
        r.cause.event_id == retry_id for r in found.values()) else None)(settled(worker, topics)),
        timeout_s=60, what="the retry's records")
    worker.stop()
    reasons = {e.REASON for e in [*setup_events(SHAPE, start_ms=T0), *shop, *extras]}
    return {"records": records, "before_retry": before_retry, "reasons": reasons,
            "retry_id": retry_id}


def replay_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "stocksync", "replay", *args],
                          env={**os.environ, **settings_env(settings)}, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


def test_a_replay_derives_exactly_what_the_live_run_did(live, topics: Settings) -> None:
    statuses = {r.status for r in live["records"].values()}
    assert {SyncStatus.SKIPPED, SyncStatus.SUCCESSFULLY, SyncStatus.FAILED} <= statuses
    assert set(Reason) == live["reasons"]  # PUSH_NOW and REFRESH_INVENTORY included
    replay_id = f"{topics.app_id}-r1"
    done = replay_cli(topics, "--app-id", replay_id)
    assert 0 == done.returncode, done.stderr[-3000:]
    assert "events" in done.stderr and "done:" in done.stderr
    comparison = compare_apps(topics, topics.app_id, replay_id)
    assert comparison.identical, "\n".join(render(comparison, 5))
    counts = {s.name: s.count_a for s in comparison.sections}
    assert counts["sync-records"] == len(live["records"])
    assert all(counts[name] > 0 for name in ("stock", "event-ids", "last-pushed",
                                             "history-records", "sync-recording",
                                             "push-records"))
    # The replay wrote nothing into the live application's topics, and pushed nothing.
    assert live["records"] == read_sync_records(topics)


def test_one_replay_worker_or_two_derive_the_same(live, topics: Settings) -> None:
    one, two = f"{topics.app_id}-w1", f"{topics.app_id}-w2"
    run_replay(topics, one, workers=1, timeout_s=300)
    run_replay(topics, two, workers=2, timeout_s=300)
    comparison = compare_apps(topics, one, two)
    assert comparison.identical, "\n".join(render(comparison, 5))


def test_a_replay_until_an_instant_differs_by_what_came_after(live, topics: Settings) -> None:
    cut = f"{topics.app_id}-cut"
    run_replay(topics, cut, until_ms=live["before_retry"], timeout_s=300)
    comparison = compare_apps(topics, topics.app_id, cut)
    assert not comparison.identical
    records = next(s for s in comparison.sections if s.name == "sync-records")
    retried = {r.record_id for r in live["records"].values()
               if r.cause.event_id == live["retry_id"]}
    assert retried
    absent = {d.key.rsplit(" (partition", 1)[0] for d in records.differences if d.b is None}
    assert retried <= absent
    # The retry moved no stock: only its SKU's state differs (its offset and the window
    # the PUSH_NOW record waits in), with the same quantities.
    (sku,) = {r.merchant_sku for r in live["records"].values() if r.record_id in retried}
    (stock,) = next(s for s in comparison.sections if s.name == "stock").differences
    assert stock.key.startswith(f"{sku} (") and stock.a.split(" at offset")[0] == \
        stock.b.split(" at offset")[0]
    compared = subprocess.run(
        [sys.executable, "-m", "stocksync", "compare", "--app-id", topics.app_id,
         "--app-id", cut], env={**os.environ, **settings_env(topics)}, capture_output=True,
        text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert 1 == compared.returncode and compared.stdout.rstrip().endswith("different")


def test_a_replay_needs_an_id_of_its_own(topics: Settings) -> None:
    with pytest.raises(ReplayError, match="live application"):
        replay_settings(topics, topics.app_id)
    with pytest.raises(ReplayError, match="letters"):
        replay_settings(topics, "no spaces please")
