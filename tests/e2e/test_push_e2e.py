"""The push pipeline end to end: config on Kafka, a worker, the simulated marketplace."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal

import pytest

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import (
    OrderStatus,
    OrderSynced,
    PromotionReserveSet,
    StockReceivedManually,
)
from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.settings import Settings
from stocksync.topic_reader import read_to_end
from tests.e2e.marketplace import MarketplaceProcess
from tests.e2e.pipeline import (
    Events,
    listing_shows,
    publish,
    running_marketplace,
    records_of,
    rule,
    store,
    wait_for_config,
)
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka

TEN = [f"T{i}" for i in range(1, 11)]


@pytest.fixture(scope="module")
def namespace(namespace: Settings) -> Settings:
    """A 1 s grace: an idle partition's windows close on the wall clock (less the grace), so a
    worker that sees a message later than the grace after its append (a kill -9 and restart on
    two shared cores) would close its window early; the records the test compares with the
    log-only reference are the same for any grace."""
    return namespace.with_overrides(window_grace_ms=1000)


@pytest.fixture(scope="module")
def marketplace(topics: Settings) -> Iterator[MarketplaceProcess]:
    with running_marketplace(topics, rate_limit=5.0) as process:
        yield process


@pytest.fixture(scope="module")
def pipeline(workers, topics: Settings, marketplace: MarketplaceProcess) -> WorkerProcess:
    """One worker, and a configuration with one rule (and warehouse) per scenario."""
    writer = ConfigWriter(topics)
    for store_id in ["B1", *TEN, "P1", "P2", "C1", "F1", "RL", "K1"]:
        # RL is pushed faster than the marketplace allows (5/s); the others stay below it.
        writer.put_store(store(store_id, marketplace, rps=50.0 if store_id == "RL" else 4.0))
    for config_rule in [
        rule("burst", "WH-B", ["B1"]),
        rule("ten-stores", "WH-T", TEN),
        rule("percent", "WH-P", ["P1", "P2"], percent=Decimal(30)),
        rule("chain", "WH-C", ["C1"]),
        rule("failing", "WH-F", ["F1"]),
        rule("rate-limited", "WH-RL", ["RL"]),
        rule("restart", "WH-K", ["K1"]),
    ]:
        writer.put_rule(config_rule)
    worker = workers.start("push")
    wait_for_config(worker, topics)
    return worker


def test_a_burst_of_100_triggers_pushes_once(pipeline, topics, marketplace) -> None:
    """100 triggers for one listing within one window: 99 SKIPPED, 1 pushed, and the
    marketplace shows the quantity of the last trigger."""
    e = Events("BURST", "WH-B")
    publish(topics, [e.mapped("B1", "B1-BURST")])
    listing_shows(marketplace, "B1", "B1-BURST", 0)
    # Start the burst early in a second, so that it cannot straddle a 1 s window boundary.
    while time.time() % 1 > 0.3:
        time.sleep(0.02)
    burst = [e(StockReceivedManually, qty=1) for _ in range(100)]
    publish(topics, burst)
    listing_shows(marketplace, "B1", "B1-BURST", 100)
    burst_ids = {event.event_id for event in burst}

    def settled() -> list[SyncRecord] | None:
        found = [r for r in records_of(topics, "BURST") if r.cause.event_id in burst_ids]
        return found if len(found) == 100 and all(
            r.status is not SyncStatus.PENDING for r in found) else None

    records = eventually(settled, timeout_s=60, what="100 settled burst records")
    assert {"SKIPPED": 99, "SUCCESSFULLY": 1} == Counter(r.status.value for r in records)
    pushed = next(r for r in records if r.status is SyncStatus.SUCCESSFULLY)
    assert (100, burst[-1].event_id) == (pushed.after_qty, pushed.cause.event_id)
    assert 1 == sum(1 for key in marketplace.applied() if key in {r.record_id for r in records})


def test_one_rule_over_ten_stores_makes_ten_records_per_trigger(pipeline, topics,
                                                                 marketplace) -> None:
    """A trigger under a rule that syncs to 10 stores yields 10 records with 10 ids."""
    e = Events("TEN", "WH-T")
    publish(topics, [e.mapped(store_id, f"{store_id}-TEN") for store_id in TEN])
    trigger = e(StockReceivedManually, qty=8)
    publish(topics, [trigger])
    for store_id in TEN:
        listing_shows(marketplace, store_id, f"{store_id}-TEN", 8)
    records = [r for r in records_of(topics, "TEN") if r.cause.event_id == trigger.event_id]
    assert (10, set(TEN)) == (len({r.record_id for r in records}), {r.store_id for r in records})


def test_percent_buffer_and_promotion_reserve(pipeline, topics, marketplace) -> None:
    """152 available at 30 % → 45; a buffer of 5 → 40; a reserve of 7 for one store → 47 for
    that store only."""
    e = Events("PCT", "WH-P")
    # Step 1: 152 available, rule at 30 %.
    publish(topics, [e.mapped("P1", "P1-PCT"), e.mapped("P2", "P2-PCT"),
                     e(StockReceivedManually, qty=152)])
    listing_shows(marketplace, "P1", "P1-PCT", 45)
    listing_shows(marketplace, "P2", "P2-PCT", 45)
    # Step 2: the rule gets a buffer of 5; the change re-pushes both listings.
    ConfigWriter(topics).put_rule(rule("percent", "WH-P", ["P1", "P2"], percent=Decimal(30),
                                       buffer=5))
    listing_shows(marketplace, "P1", "P1-PCT", 40)
    listing_shows(marketplace, "P2", "P2-PCT", 40)
    # Step 3: P1 reserves 7 units for its promotion; 7 more arrive, so available stays 152.
    publish(topics, [e(PromotionReserveSet, store_id="P1", qty=7),
                     e(StockReceivedManually, qty=7)])
    listing_shows(marketplace, "P1", "P1-PCT", 47)
    listing_shows(marketplace, "P2", "P2-PCT", 40)


def test_before_and_after_chain_across_triggers(pipeline, topics, marketplace) -> None:
    """Each record's before qty is the previous record's after qty; the first one's is the
    available stock."""
    e = Events("CHAIN", "WH-C")
    publish(topics, [e(StockReceivedManually, qty=20)])
    publish(topics, [e.mapped("C1", "C1-CHAIN")])
    listing_shows(marketplace, "C1", "C1-CHAIN", 20)
    for qty, order in ((3, "O-1"), (2, "O-2"), (5, "O-3")):
        publish(topics, [e(OrderSynced, order_id=order, store_id="C1", qty=qty,
                           order_status=OrderStatus.NEW)])
        time.sleep(1.1)  # one trigger per window: every record is pushed
    listing_shows(marketplace, "C1", "C1-CHAIN", 10)
    chain = sorted(records_of(topics, "CHAIN"), key=lambda r: r.cause.offset)
    assert [(20, 0, 20), (20, -3, 17), (17, -2, 15), (15, -5, 10)] == [
        (r.before_qty, r.movement, r.after_qty) for r in chain]
    # The Sync Recording view shows the SKU's latest sync once its outcome is in.
    latest = eventually(lambda: (lambda s: s[1] if s[0] == 200
                                 and s[1]["last_sync_status"] == "SUCCESSFULLY" else None)(
        pipeline.get("/sync-recording/CHAIN")), timeout_s=60, what="the Sync Recording row")
    assert (10, chain[-1].record_id) == (latest["last_sync_qty"], latest["latest"]["record_id"])


def test_a_failing_listing_ends_failed_with_its_reason(pipeline, topics, marketplace) -> None:
    """A listing whose marketplace keeps answering 500 ends FAILED after the retries."""
    marketplace.post("/admin/fail", {"store_id": "F1", "store_sku": "F1-FAIL", "status": 500})
    e = Events("FAIL", "WH-F")
    publish(topics, [e(StockReceivedManually, qty=4), e.mapped("F1", "F1-FAIL")])

    def failed() -> SyncRecord | None:
        found = [r for r in records_of(topics, "FAIL") if r.status is SyncStatus.FAILED]
        return found[0] if found else None

    record = eventually(failed, timeout_s=90, what="the failing push to end FAILED")
    assert ("MARKETPLACE_ERROR", True) == (record.failure_code.value,
                                           bool(record.failure_message))
    attempts = [r for r in marketplace.requests("F1") if r["store_sku"] == "F1-FAIL"]
    assert 5 == len(attempts)  # the Pusher's default retry budget


def test_a_rate_limited_store_ends_successfully_within_its_limit(pipeline, topics,
                                                                  marketplace) -> None:
    """A store pushed faster than its marketplace allows gets 429s, waits as told, and every
    push ends SUCCESSFULLY; the marketplace never accepted more than its limit."""
    e = Events("RATE", "WH-RL")
    publish(topics, [e(StockReceivedManually, qty=3)]
            + [e.mapped("RL", f"RL-{i}") for i in range(12)])
    for i in range(12):
        listing_shows(marketplace, "RL", f"RL-{i}", 3)
    accepted = sorted(r["at"] for r in marketplace.requests("RL") if r["status"] == 200)
    # 5 per second plus a burst of 2: never more than 7 accepted within any one second.
    assert 7 >= max(sum(1 for t in accepted if start <= t < start + 1.0) for start in accepted)
    assert all(r.status is SyncStatus.SUCCESSFULLY for r in records_of(topics, "RATE"))


def logged(settings: Settings, skus: set[str]) -> list:
    """The stock events of `skus` as the log holds them: with log time and position."""
    from stocksync.domain.push import LoggedEvent
    from stocksync.domain.sync import Cause
    from stocksync.schemas.codec import default_codec
    from stocksync.topics import STOCK_EVENTS

    topic = settings.topic(STOCK_EVENTS.name)
    found = []
    for message in read_to_end(settings, topic):
        if message.key is None or message.key.decode() not in skus:
            continue
        event = default_codec().decode(message.value)
        found.append(LoggedEvent(event, message.timestamp,
                                 Cause(event.event_id, topic, message.partition,
                                       message.offset)))
    return sorted(found, key=lambda e: (e.cause.partition, e.cause.offset))


def test_a_restart_mid_stream_loses_no_record_and_pushes_none_twice(
    pipeline, topics, marketplace, workers
) -> None:
    """kill -9 while triggers flow: afterwards every record of the reference pipeline exists
    with a final status, the marketplace applied each record id at most once, and every
    listing shows its final quantity."""
    from stocksync.domain.push import SyncConfig, replay_pushes

    skus = [f"RESTART-{i}" for i in range(6)]
    streams = {sku: Events(sku, "WH-K") for sku in skus}
    publish(topics, [streams[sku].mapped("K1", f"K1-{sku}") for sku in skus])
    # Step 1: triggers flow in waves, a few windows apart; the worker is killed mid-way.
    for wave in range(6):
        publish(topics, [streams[sku](StockReceivedManually, qty=wave + 1) for sku in skus]
                + [streams[sku](OrderSynced, order_id=f"O-{wave}", store_id="K1", qty=1,
                                order_status=OrderStatus.NEW) for sku in skus[:3]])
        if wave == 2:
            pipeline.kill()
            time.sleep(0.5)
            pipeline.start()
        time.sleep(0.7)
    pipeline.wait_until_serving()
    # Step 2: what the reference pipeline emits for that log.
    config = SyncConfig({"restart": rule("restart", "WH-K", ["K1"])},
                        {"K1": store("K1", marketplace)})
    reference = replay_pushes(logged(topics, set(skus)), config, window_ms=topics.window_ms)
    final = {f"K1-{sku}": sum(range(1, 7)) - (6 if sku in skus[:3] else 0) for sku in skus}
    for store_sku, qty in final.items():
        listing_shows(marketplace, "K1", store_sku, qty)

    # Step 3: every reference record is in the history with a final status.
    def settled() -> dict | None:
        found = {r.record_id: r for sku in skus for r in records_of(topics, sku)}
        return found if all(r.record_id in found and found[r.record_id].status
                            is not SyncStatus.PENDING for r in reference.emitted) else None

    history = eventually(settled, timeout_s=90, what="every reference record to settle")
    assert {r.record_id for r in reference.skipped} == {
        i for i, r in history.items() if r.status is SyncStatus.SKIPPED}
    assert {r.record_id for r in reference.pushes} == {
        i for i, r in history.items() if r.status is SyncStatus.SUCCESSFULLY}
    # Step 4: the marketplace applied no record twice.
    applied = marketplace.applied()
    assert all(applied.get(r.record_id, 0) <= 1 for r in reference.pushes)


def http(worker: WorkerProcess, method: str, path: str, body: object = None) -> tuple[int, dict]:
    import json
    import urllib.error
    import urllib.request

    data = None if body is None else (body if isinstance(body, bytes) else
                                      json.dumps(body).encode())
    request = urllib.request.Request(worker.url + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_stores_and_rules_over_http(pipeline) -> None:
    """Stores and rules are managed over HTTP with the CLI's validation."""
    # Step 1: a store and a rule are created and read back.
    assert 200 == http(pipeline, "PUT", "/stores/H1", {"nickname": "Etsy", "marketplace": "etsy"})[0]
    status, created = http(pipeline, "PUT", "/rules/http-rule",
                           {"warehouses": ["WH-H"], "store_ids": ["H1"], "percent": 80})
    assert (200, "80") == (status, created["percent"])
    assert created == http(pipeline, "GET", "/rules/http-rule")[1]
    assert "H1" in {s["store_id"] for s in http(pipeline, "GET", "/stores")[1]["stores"]}
    # Step 2: invalid changes are refused with a reason, and change nothing.
    assert 400 == http(pipeline, "PUT", "/rules/other", {"warehouses": ["WH-H"],
                                                         "store_ids": ["H1"]})[0]
    assert 400 == http(pipeline, "PUT", "/rules/http-rule", {"warehouses": "WH-H"})[0]
    assert 400 == http(pipeline, "PUT", "/rules/http-rule", b"not json")[0]
    assert 409 == http(pipeline, "DELETE", "/stores/H1")[0]
    assert 404 == http(pipeline, "GET", "/rules/other")[0]
    # Step 3: removing the rule, then the store.
    assert 200 == http(pipeline, "DELETE", "/rules/http-rule")[0]
    assert 200 == http(pipeline, "DELETE", "/stores/H1")[0]


def test_operators_refresh_skus_and_stores(pipeline, topics, marketplace) -> None:
    """POST /refresh re-pushes a SKU's listings (REFRESH_INVENTORY); `stocksync refresh --store`
    re-pushes every SKU of a store."""
    import os
    import subprocess
    import sys

    from tests.harness import settings_env

    e = Events("REFRESHME", "WH-T")
    publish(topics, [e(StockReceivedManually, qty=5), e.mapped("T1", "T1-REFRESHME")])
    listing_shows(marketplace, "T1", "T1-REFRESHME", 5)

    def refreshed(cause_prefix: str) -> list[SyncRecord] | None:
        found = [r for r in records_of(topics, "REFRESHME")
                 if r.reason.value == "REFRESH_INVENTORY"
                 and r.cause.event_id.startswith(cause_prefix)
                 and r.status is SyncStatus.SUCCESSFULLY]
        return found or None

    # Step 1: over HTTP, for the SKU.
    status, answer = http(pipeline, "POST", "/refresh", {"merchant_skus": ["REFRESHME"]})
    assert (200, 1, "REFRESH_INVENTORY") == (status, answer["queued"], answer["reason"])
    eventually(lambda: refreshed("refresh-"), timeout_s=60, what="the SKU's refresh push")
    # Step 2: with the CLI, for the store: a refresh request in every partition.
    env = {**os.environ, **settings_env(pipeline.settings)}
    result = subprocess.run([sys.executable, "-m", "stocksync", "refresh", "--store", "T1"],
                            capture_output=True, text=True, env=env, timeout=60, check=True)
    assert "every SKU" in result.stdout
    eventually(lambda: refreshed("refresh-") if len(refreshed("refresh-") or []) >= 2 else None,
               timeout_s=60, what="the store's refresh push")
    # Step 3: nonsense is refused.
    assert 400 == http(pipeline, "POST", "/refresh", {})[0]
    assert 400 == http(pipeline, "POST", "/refresh", {"merchant_skus": "REFRESHME"})[0]
