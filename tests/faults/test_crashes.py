"""Crashes while a shop's history of 100,000+ events is processed, on a broker of the test's own.

Three phases share one application and one growing log (the benchmark's shop: every reason,
flash-sale bursts, 3 warehouses, 4 stores); each phase's events are published paced over
several seconds while the fault happens:
1. the only worker is killed with SIGKILL at random points, several times, and restarted;
2. a second worker joins, one of the two is killed mid-stream, then started again (partitions
   move both ways);
3. the broker itself is restarted mid-stream.
After each phase, once the consumer group's lag is back to zero: the stock of every SKU equals
a plain-Python fold of the log; the sync history holds exactly the records the reference
pipeline makes from the log, each once, SKIPPED where it says and SUCCESSFULLY otherwise, with
the same fields; the simulated marketplace applied no record id twice and every listing shows
the quantity of its last push.

The fault points are drawn from a seed printed with every failure (STOCKSYNC_CRASH_SEED repeats
a run).
"""

from __future__ import annotations

import dataclasses
import os
import random
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

from bench.workload import WorkloadShape, setup_events, stores_and_rules, traffic
from stocksync.domain.events import PromotionReserveSet, Reason, StockEvent
from stocksync.domain.push import SyncConfig, replay_pushes
from stocksync.domain.push_replay import PushReplay
from stocksync.domain.rejections import RejectionReason
from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.domain.views import stock_view
from stocksync.local_kafka import LocalBroker
from stocksync.projections.sync_history import read_sync_records
from stocksync.publisher import StockEventPublisher
from stocksync.settings import Settings
from stocksync.stock_log import read_stock_log
from stocksync.topic_admin import create_topics
from stocksync.topic_reader import group_offsets
from stocksync.topics import PUSH_COMMANDS, STOCK_EVENTS
from tests.e2e.marketplace import MarketplaceProcess
from tests.e2e.pipeline import put_config, running_marketplace, wait_for_config
from tests.faults.private_broker import private_broker
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka

T0 = 1_767_225_600_000
SHAPE = WorkloadShape(skus=300, warehouses=3, stores=4, rules=2, burst_probability=0.01, seed=23)
PHASE_EVENTS = 34_000  # three phases: 102,000 traffic events after the setup
CHUNK = 1_500  # published every PACE_S: each phase's events reach the log over ~11 s
PACE_S = 0.5
SETTLE_TIMEOUT_S = 300
SEED = int(os.environ.get("STOCKSYNC_CRASH_SEED") or time.time_ns() % 1_000_000)


@pytest.fixture(scope="module")
def rng() -> random.Random:
    return random.Random(SEED)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    with private_broker(tmp_path_factory.mktemp("crash-broker")) as running:
        yield running


@pytest.fixture(scope="module")
def settings(broker: LocalBroker, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    ours = Settings(kafka_bootstrap_servers=broker.bootstrap, topic_prefix="crash.",
                    app_id="stocksync-crash", partitions=4,
                    home=tmp_path_factory.mktemp("crash-home"), log_format="json",
                    batch_within_s=0.02,
                    # No periodic refresh: it would add records while a phase is verified.
                    refresh_interval_s=3600.0)
    create_topics(ours)
    return ours


@pytest.fixture(scope="module")
def marketplace(settings: Settings) -> Iterator[MarketplaceProcess]:
    with running_marketplace(settings, rate_limit=10_000.0) as process:
        yield process


@pytest.fixture(scope="module")
def history() -> list[list[StockEvent]]:
    """The setup, then three phases of traffic; one promotion reserve so that every reason
    occurs."""
    shop = list(traffic(SHAPE, 3 * PHASE_EVENTS, start_ms=T0 + 1000))
    reserve = PromotionReserveSet(event_id="promo-1", merchant_sku=shop[0].merchant_sku,
                                  warehouse_id="W1", occurred_at=T0 + 900, source="test",
                                  store_id="S2", qty=2)
    phases = [shop[n * PHASE_EVENTS:(n + 1) * PHASE_EVENTS] for n in range(3)]
    phases[0] = [*setup_events(SHAPE, start_ms=T0), reserve, *phases[0]]
    assert set(Reason) == {event.REASON for phase in phases for event in phase}
    return phases


class Workers:
    """The application's worker processes, by name; each keeps its state folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.all: dict[str, WorkerProcess] = {}

    def start(self, name: str) -> WorkerProcess:
        worker = self.all.get(name) or WorkerProcess.in_home(name, self.settings)
        self.all[name] = worker
        worker.start()
        worker.wait_until_serving(timeout_s=120)
        return worker

    def running(self) -> list[WorkerProcess]:
        return [w for w in self.all.values() if w.alive()]

    def stop_all(self) -> None:
        for worker in self.all.values():
            worker.stop()


@pytest.fixture(scope="module")
def workers(settings: Settings, marketplace: MarketplaceProcess) -> Iterator[Workers]:
    stores, rules = stores_and_rules(SHAPE, marketplace.url, requests_per_second=2000.0)
    put_config(settings, stores, rules)
    running = Workers(settings)
    wait_for_config(running.start("a"), settings)
    yield running
    running.stop_all()


class PacedPublisher(threading.Thread):
    """Publishes a phase's events in chunks, PACE_S apart, so that they reach the log over
    several windows while faults happen; a send the broker could not take is sent again."""

    def __init__(self, settings: Settings, events: list[StockEvent]) -> None:
        super().__init__(daemon=True)
        self.settings, self.events = settings, events
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with StockEventPublisher(self.settings) as publisher:
                for start in range(0, len(self.events), CHUNK):
                    _with_retries(lambda: publisher.publish(self.events[start:start + CHUNK]))
                    time.sleep(PACE_S)
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self) -> None:
        self.join(timeout=600)
        assert not self.is_alive(), "the publisher did not finish"
        if self.error is not None:
            raise AssertionError(f"publishing failed (seed {SEED})") from self.error


def _with_retries(send) -> None:
    """A chunk the broker did not acknowledge (it was restarting) is sent again: a repeated
    event id is the fold's to recognise, as with any upstream producer's retry."""
    for attempt in range(30):
        try:
            send()
            return
        except Exception:  # noqa: BLE001 - kafka-python raises several kinds while it is down
            if attempt == 29:
                raise
            time.sleep(1.0)


# -- what must hold after every fault ------------------------------------------------------------


def lag_by_partition(settings: Settings) -> dict[str, int]:
    """Per consumed partition that is behind, the messages the group has not committed past
    (stock-events and push-commands always count, whether or not the group has committed there
    yet)."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        committed = {tp: meta for tp, meta in group_offsets(admin, settings.app_id).items()
                     if meta.offset >= 0}
        wanted = {TopicPartition(settings.topic(t.name), p) for t in (STOCK_EVENTS, PUSH_COMMANDS)
                  for p in range(settings.partitions)}
        partitions = sorted(wanted | set(committed))
        ends = consumer.end_offsets(partitions)
    finally:
        admin.close()
        consumer.close()
    behind = {f"{tp.topic}[{tp.partition}]":
              ends[tp] - (committed[tp].offset if tp in committed else 0) for tp in partitions}
    return {name: n for name, n in behind.items() if n > 0}


# Log lines a settle failure leaves out: the marketplace's rate limit answers many pushes with 429.
NOISE = ('"push_retry"',)


def settle(settings: Settings, workers: Workers) -> None:
    """Until no window is open in any worker and the group has committed every message; a
    timeout says what was still open or behind, and where the workers' logs are."""
    started = time.monotonic()
    seen: dict[str, object] = {}

    def settled() -> bool | None:
        seen["open_windows"] = {w.name: w.stats()["open_windows"] for w in workers.running()}
        if any(seen["open_windows"].values()):
            return None
        seen["lag"] = lag_by_partition(settings)
        return True if not seen["lag"] else None

    try:
        eventually(settled, timeout_s=SETTLE_TIMEOUT_S, interval_s=1.0,
                   what=f"the consumer group's lag to return to 0 (seed {SEED})")
    except AssertionError as exc:
        # The summary goes last: a CI log shows the end of a long failure.
        tails = "\n".join(f"--- worker {w.name} ({w.log_path}):\n{w.log_tail(skip=NOISE)}"
                          for w in workers.all.values())
        raise AssertionError(f"{tails}\n--- {exc}; last seen: {seen}") from None
    print(f"settled in {time.monotonic() - started:.1f} s")


def reference(settings: Settings) -> PushReplay:
    return replay_pushes(read_stock_log(settings), SyncConfig({}, {}), window_ms=settings.window_ms)


def final_history(settings: Settings, expected: PushReplay) -> dict[str, SyncRecord]:
    """The history once every record the reference emits is in it with a final status (with
    the group's lag at 0, every outcome is logged already: this waits only for the reads)."""
    ids = {r.record_id for r in expected.emitted}
    unsettled: list[SyncRecord | str] = []

    def done() -> dict[str, SyncRecord] | None:
        found = read_sync_records(settings, timeout_s=60)
        unsettled[:] = [found.get(i, i) for i in ids
                        if i not in found or found[i].status is SyncStatus.PENDING]
        return found if not unsettled else None

    try:
        return eventually(done, timeout_s=60, interval_s=5.0, what="the history")
    except AssertionError:
        missing = [u for u in unsettled if isinstance(u, str)]
        pending = [u for u in unsettled if not isinstance(u, str)]
        raise AssertionError(f"{len(missing)} reference records missing and {len(pending)} "
                             f"still PENDING with the group's lag at 0 (seed {SEED}); first "
                             f"missing: {missing[:3]}, first pending: {pending[:2]}") from None


def assert_stock_is_the_fold(worker: WorkerProcess, expected: PushReplay) -> None:
    wrong = {}
    for sku, state in expected.stocks.items():
        status, body = worker.get(f"/stock/{urllib.parse.quote(sku, safe='')}")
        if status != 200 or body != stock_view(state):
            wrong[sku] = (status, body, stock_view(state))
    assert not wrong, (f"{len(wrong)} of {len(expected.stocks)} SKUs differ from the fold "
                       f"(seed {SEED}); first: {next(iter(wrong.items()))}")


def assert_history_is_the_reference(history: dict[str, SyncRecord],
                                    expected: PushReplay) -> None:
    """Every record the reference makes, once, with its fields; SKIPPED markers stay SKIPPED,
    and a push ends SUCCESSFULLY, or SKIPPED by a later push of its listing that took its place
    while it waited (push lanes: a backlog or a hung marketplace); a listing's last push is
    never skipped."""
    emitted = {r.record_id: r for r in expected.emitted}
    assert len(emitted) == len(expected.emitted), "the reference made one record id twice"
    extra, missing = set(history) - set(emitted), set(emitted) - set(history)
    assert not extra and not missing, (f"{len(extra)} records nobody should have made, "
                                       f"{len(missing)} missing (seed {SEED})")
    position: dict[str, tuple[tuple[str, str], int]] = {}  # push id -> (listing, n-th push)
    last: dict[tuple[str, str], str] = {}
    for n, record in enumerate(expected.pushes):  # in log order per listing
        listing = (record.store_id, record.store_sku)
        position[record.record_id] = (listing, n)
        last[listing] = record.record_id

    def later_push_of_its_listing(record_id: str, by: str | None) -> bool:
        return by in position and position[by][0] == position[record_id][0] and \
            position[by][1] > position[record_id][1]

    wrong = []
    for record_id, made in emitted.items():
        final = history[record_id]
        if made.status is SyncStatus.SKIPPED:
            right = final == made
        elif final.status is SyncStatus.SKIPPED:
            right = (later_push_of_its_listing(record_id, final.superseded_by)
                     and final == dataclasses.replace(made, status=SyncStatus.SKIPPED,
                                                      superseded_by=final.superseded_by))
        else:
            right = final == dataclasses.replace(made, status=SyncStatus.SUCCESSFULLY)
        if not right:
            wrong.append((made, final))
    assert not wrong, (f"{len(wrong)} of {len(emitted)} records differ from the reference "
                       f"(seed {SEED}); first: {wrong[0]}")
    unpushed = [i for i in last.values() if history[i].status is not SyncStatus.SUCCESSFULLY]
    assert not unpushed, f"listings' last pushes not pushed (seed {SEED}): {unpushed[:3]}"


def assert_push_record_pages_show_the_history(worker: WorkerProcess,
                                              history: dict[str, SyncRecord]) -> None:
    """Every listing's Push Record page (the history projection, restored and rebuilt through
    the faults) shows its latest records with their final statuses."""
    by_listing: dict[tuple[str, str], list[SyncRecord]] = {}
    for record in history.values():
        by_listing.setdefault((record.store_id, record.store_sku), []).append(record)
    limit = worker.settings.history_listing_limit
    wrong = {}
    for (store_id, store_sku), records in by_listing.items():
        latest = sorted(records, key=lambda r: (r.log_time, r.record_id))[-limit:][::-1]
        status, body = worker.get(f"/push-records/{urllib.parse.quote(store_id, safe='')}/"
                                  f"{urllib.parse.quote(store_sku, safe='')}")
        shown = [(r["record_id"], r["status"]) for r in body["records"]] if status == 200 else []
        if shown != [(r.record_id, r.status.value) for r in latest]:
            wrong[store_id, store_sku] = (status, len(shown), len(latest))
    assert not wrong, (f"{len(wrong)} of {len(by_listing)} Push Record pages differ from the "
                       f"history (seed {SEED}): {dict(list(wrong.items())[:3])}")


def assert_marketplace_shows_the_last_pushes(marketplace: MarketplaceProcess,
                                             expected: PushReplay) -> None:
    applied = marketplace.applied()
    twice = {key: times for key, times in applied.items() if times > 1}
    assert not twice, f"record ids applied more than once (seed {SEED}): {twice}"
    last: dict[tuple[str, str], int] = {}
    for record in expected.pushes:  # in log order per listing
        last[record.store_id, record.store_sku] = record.after_qty
    shown: dict[str, dict[str, int]] = {}
    wrong = {}
    for (store_id, store_sku), qty in last.items():
        listings = shown.setdefault(store_id, marketplace.listings(store_id))
        if listings.get(store_sku) != qty:
            wrong[store_id, store_sku] = (listings.get(store_sku), qty)
    assert not wrong, (f"{len(wrong)} of {len(last)} listings show another quantity than "
                       f"their last push (seed {SEED}): {dict(list(wrong.items())[:5])}")


def assert_consistent(settings: Settings, workers: Workers,
                      marketplace: MarketplaceProcess) -> PushReplay:
    settle(settings, workers)
    expected = reference(settings)
    # The shop's history applies whole; only a chunk sent again while the broker restarted
    # may repeat event ids.
    reasons = {rejected.reason for _, rejected in expected.rejected}
    assert reasons <= {RejectionReason.DUPLICATE_EVENT}, expected.rejected[:3]
    assert_stock_is_the_fold(workers.running()[0], expected)
    history = final_history(settings, expected)
    assert_history_is_the_reference(history, expected)
    assert_push_record_pages_show_the_history(workers.running()[0], history)
    assert_marketplace_shows_the_last_pushes(marketplace, expected)
    return expected


def published_while(settings: Settings, events: list[StockEvent]) -> PacedPublisher:
    publisher = PacedPublisher(settings, events)
    publisher.start()
    return publisher


# -- the faults ----------------------------------------------------------------------------------


def test_kill_9_at_random_points(settings, workers, marketplace, history, rng) -> None:
    feed = published_while(settings, history[0])
    worker = workers.all["a"]
    # Step 1: three kills, each at a random point of the stream, each followed by a restart
    # after a random pause (the log keeps growing meanwhile).
    for _ in range(3):
        time.sleep(rng.uniform(2.0, 6.0))
        worker.kill()
        time.sleep(rng.uniform(0.0, 2.0))
        workers.start("a")
    feed.finish()
    # Step 2: everything derived equals what the log implies.
    expected = assert_consistent(settings, workers, marketplace)
    assert expected.skipped and expected.pushes


def test_a_worker_killed_and_added_back(settings, workers, marketplace, history, rng) -> None:
    # Step 1: a second worker joins; partitions are shared.
    workers.start("b")
    feed = published_while(settings, history[1])
    # Step 2: one of the two dies mid-stream; the other takes its partitions.
    time.sleep(rng.uniform(2.0, 5.0))
    victim = rng.choice(["a", "b"])
    workers.all[victim].kill()
    # Step 3: it comes back while events still flow; partitions move back.
    time.sleep(rng.uniform(2.0, 4.0))
    workers.start(victim)
    feed.finish()
    assert 2 == len(workers.running())
    assert_consistent(settings, workers, marketplace)


def test_a_broker_restart_mid_stream(settings, workers, marketplace, history, broker,
                                     rng) -> None:
    feed = published_while(settings, history[2])
    # Step 1: the broker stops mid-stream and comes back with its log.
    time.sleep(rng.uniform(2.0, 6.0))
    broker.stop()
    time.sleep(rng.uniform(1.0, 3.0))
    broker.start()
    feed.finish()
    # Step 2: the workers outlived it (or their supervisor would restart them: count that).
    for name, worker in workers.all.items():
        if not worker.alive():
            pytest.fail(f"worker {name} exited when the broker restarted (seed {SEED}):\n"
                        f"{worker.log_tail(40)}")
    assert_consistent(settings, workers, marketplace)


def test_the_log_holds_the_whole_history(settings, history) -> None:
    """The faults above ran on at least 100,000 events."""
    logged = sum(1 for _ in read_stock_log(settings))
    assert logged >= sum(len(phase) for phase in history) >= 100_000
