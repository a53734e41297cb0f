"""Back-pressure: a marketplace store that stops answering, on the broker with a real worker.

One rule pushes every SKU to two stores under the same store SKUs, so both stores' commands of a
listing share a push-commands partition: the healthy store's commands sit behind the hung
store's. While the store hangs, stock keeps folding and the other store keeps receiving pushes;
the committed offset never passes a hung command; a kill -9 then loses none of them and pushes
none of the healthy store's again; when the store answers, the commands that waited drain and
every listing ends at the right quantity, each record id applied at most once.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient, TopicPartition

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import StockReceivedManually
from stocksync.domain.sync import FailureCode, SyncRecord, SyncStatus
from stocksync.kafka_security import client_options
from stocksync.schemas.push_codec import decode_push_result, decode_sync_record
from stocksync.settings import Settings
from stocksync.topic_reader import read_to_end
from stocksync.topics import PUSH_COMMANDS, PUSH_RESULTS
from tests.e2e.marketplace import MarketplaceProcess
from tests.e2e.pipeline import (
    Events,
    listing_shows,
    publish,
    records_of,
    rule,
    running_marketplace,
    store,
    wait_for_config,
)
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka

HUNG, HEALTHY = "HUNG", "OK"
SKUS = [f"BP-{i}" for i in range(4)]
SUPERSEDE_AFTER_S = 15  # connectors/push_lanes.py: a push stuck this long lets newer ones win


@pytest.fixture(scope="module")
def namespace(namespace: Settings) -> Settings:
    """A 1 s grace, as in test_push_e2e: windows must not close early after the kill -9."""
    return namespace.with_overrides(window_grace_ms=1000)


@pytest.fixture(scope="module")
def marketplace(topics: Settings) -> Iterator[MarketplaceProcess]:
    with running_marketplace(topics, rate_limit=100.0) as process:
        yield process


@pytest.fixture(scope="module")
def worker(workers, topics: Settings, marketplace: MarketplaceProcess) -> WorkerProcess:
    writer = ConfigWriter(topics)
    for store_id in (HUNG, HEALTHY):
        writer.put_store(store(store_id, marketplace, rps=20.0))
    writer.put_rule(rule("both", "WH-BP", [HUNG, HEALTHY]))
    started = workers.start("bp")
    wait_for_config(started, topics)
    return started


def commands_and_results(settings: Settings) -> tuple[list, set[str]]:
    """Every push command (partition, offset, record) and the record ids that have a result."""
    commands = [(m.partition, m.offset, decode_sync_record(m.value))
                for m in read_to_end(settings, settings.topic(PUSH_COMMANDS.name))]
    results = {decode_push_result(m.value).record_id
               for m in read_to_end(settings, settings.topic(PUSH_RESULTS.name))}
    return commands, results


def committed_offsets(settings: Settings) -> dict[int, int]:
    admin = KafkaAdminClient(**client_options(settings))
    try:
        offsets = admin.list_group_offsets({settings.app_id: None}).get(settings.app_id, {})
    finally:
        admin.close()
    topic = settings.topic(PUSH_COMMANDS.name)
    return {tp.partition: meta.offset for tp, meta in offsets.items()
            if tp.topic == topic and meta.offset >= 0}


def end_offsets(settings: Settings) -> dict[int, int]:
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(**client_options(settings))
    try:
        topic = settings.topic(PUSH_COMMANDS.name)
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in range(settings.partitions)])
    finally:
        consumer.close()
    return {tp.partition: offset for tp, offset in ends.items()}


def available(worker: WorkerProcess, sku: str) -> int | None:
    status, body = worker.get(f"/stock/{sku}")
    return body["total"]["available"] if status == 200 else None


def test_a_hung_store_stalls_nothing_else_loses_nothing_and_drains(
        worker, topics, marketplace) -> None:
    streams = {sku: Events(sku, "WH-BP") for sku in SKUS}
    publish(topics, [streams[sku].mapped(store_id, sku) for sku in SKUS
                     for store_id in (HUNG, HEALTHY)]
            + [streams[sku](StockReceivedManually, qty=10) for sku in SKUS])
    for sku in SKUS:
        listing_shows(marketplace, HUNG, sku, 10)
        listing_shows(marketplace, HEALTHY, sku, 10)
    expected = 10

    def wave() -> None:
        nonlocal expected
        publish(topics, [streams[sku](StockReceivedManually, qty=1) for sku in SKUS])
        expected += 1
        time.sleep(1.2)  # the next wave falls in a new window

    # Step 1: the store hangs; triggers keep coming. The fold goes on, the other store gets
    # every push.
    marketplace.post("/admin/pause", {"store_id": HUNG})
    for _ in range(4):
        wave()
    for sku in SKUS:
        eventually(lambda sku=sku: True if available(worker, sku) == expected else None,
                   timeout_s=60, what=f"{sku} folded to {expected}")
        listing_shows(marketplace, HEALTHY, sku, expected)
    assert all(qty == 10 for qty in marketplace.listings(HUNG).values())

    # Step 2: the committed offset of every partition stays at or below its oldest hung
    # command without a result, though commands after it (the other store's) are done.
    time.sleep(3)  # several commit intervals (1 s)
    commands, results = commands_and_results(topics)
    unresolved: dict[int, int] = {}
    for partition, offset, record in commands:
        if record.store_id == HUNG and record.record_id not in results:
            unresolved[partition] = min(offset, unresolved.get(partition, offset))
    done_after = [(p, o) for p, o, r in commands
                  if r.store_id == HEALTHY and p in unresolved and o > unresolved[p]
                  and r.record_id in results]
    assert unresolved and done_after, "the scenario needs hung commands with done ones after"
    committed = committed_offsets(topics)
    assert all(committed.get(p, 0) <= offset for p, offset in unresolved.items()), (
        committed, unresolved)

    # Step 3: kill -9 and restart while the store still hangs. The healthy store's done
    # commands come again and are not pushed again; new triggers still reach it.
    healthy_before = Counter(r["key"] for r in marketplace.requests(HEALTHY))
    worker.kill()
    worker.start()
    worker.wait_until_serving()
    wave()
    for sku in SKUS:
        listing_shows(marketplace, HEALTHY, sku, expected)
    healthy_after = Counter(r["key"] for r in marketplace.requests(HEALTHY))
    assert {key: 1 for key in healthy_before} == {key: healthy_after[key]
                                                   for key in healthy_before}
    assert all(times == 1 for times in healthy_after.values()), healthy_after

    # Step 4: still hanging past the supersede time, two more waves: the second supersedes
    # the first while a push is stuck in flight.
    time.sleep(SUPERSEDE_AFTER_S + 1)
    wave()
    wave()

    # Step 5: the store answers again: what waited drains, the listings end right.
    marketplace.post("/admin/resume", {"store_id": HUNG})
    for sku in SKUS:
        listing_shows(marketplace, HUNG, sku, expected)
        listing_shows(marketplace, HEALTHY, sku, expected)

    def settled() -> list[SyncRecord] | None:
        found = [r for sku in SKUS for r in records_of(topics, sku)]
        return found if all(r.status is not SyncStatus.PENDING for r in found) else None

    history = eventually(settled, timeout_s=240, what="every record to leave PENDING")
    by_id = {r.record_id: r for r in history}
    hung = [r for r in history if r.store_id == HUNG]
    superseded = [r for r in hung if r.status is SyncStatus.SKIPPED and r.superseded_by
                  and r.superseded_by in by_id
                  and by_id[r.superseded_by].cause.offset > r.cause.offset]
    assert superseded, Counter(r.status.value for r in hung)
    for record in superseded:  # superseded by a newer record of the same listing
        newer = by_id[record.superseded_by]
        assert (newer.store_id, newer.store_sku) == (record.store_id, record.store_sku)
    failed = [r for r in hung if r.status is SyncStatus.FAILED]
    assert all(r.failure_code is FailureCode.TIMEOUT for r in failed), failed
    assert all(r.status is SyncStatus.SUCCESSFULLY or r.status is SyncStatus.SKIPPED
               for r in history if r.store_id == HEALTHY)
    applied = marketplace.applied()
    assert all(applied.get(r.record_id, 0) <= 1 for r in history)

    # Step 6: every command is committed: nothing waits, nothing is held.
    def caught_up() -> bool | None:
        ends, committed = end_offsets(topics), committed_offsets(topics)
        return True if all(committed.get(p, 0) >= end for p, end in ends.items()) else None

    eventually(caught_up, timeout_s=60, what="push-commands committed to its end")
    per_listing: dict[tuple[str, str], list[int]] = defaultdict(list)
    for record in history:
        if record.status is SyncStatus.SUCCESSFULLY:
            per_listing[(record.store_id, record.store_sku)].append(record.after_qty)
    assert all(expected in qtys for qtys in per_listing.values()), per_listing


def test_a_rebalance_is_not_held_up_by_a_hung_store(worker, workers, topics,
                                                     marketplace) -> None:
    """faust hands partitions over only once every delivered message is acknowledged; the
    hung store's commands are released uncommitted instead of awaited (up to two retry
    budgets, minutes: more than the 90 s allowed here), so a second worker joins while the store hangs, both serve, the fold
    goes on, and the released commands drain once the store answers."""
    sku = "BP-REBALANCE"
    events = Events(sku, "WH-BP")
    publish(topics, [events.mapped(store_id, sku) for store_id in (HUNG, HEALTHY)]
            + [events(StockReceivedManually, qty=5)])
    listing_shows(marketplace, HUNG, sku, 5)
    marketplace.post("/admin/pause", {"store_id": HUNG})
    for qty in (1, 2):
        publish(topics, [events(StockReceivedManually, qty=qty)])
        time.sleep(1.2)
    listing_shows(marketplace, HEALTHY, sku, 8)  # the hung store's push is in flight by now
    second = workers.start("bp2", wait=False)
    try:
        for each in (worker, second):
            eventually(lambda each=each: True if each.stats().get("ready") else None,
                       timeout_s=90, what=f"worker {each.name} to serve after the rebalance")
        publish(topics, [events(StockReceivedManually, qty=3)])
        eventually(lambda: True if available(worker, sku) == 11 else None, timeout_s=60,
                   what="the fold to go on after the rebalance")
        listing_shows(marketplace, HEALTHY, sku, 11)
        marketplace.post("/admin/resume", {"store_id": HUNG})
        listing_shows(marketplace, HUNG, sku, 11)
        history = eventually(
            lambda: (lambda found: found if found and all(
                r.status is not SyncStatus.PENDING for r in found) else None)(
                records_of(topics, sku)),
            timeout_s=240, what="the SKU's records to leave PENDING")
        applied = marketplace.applied()
        assert all(applied.get(r.record_id, 0) <= 1 for r in history)
    finally:
        second.stop()
