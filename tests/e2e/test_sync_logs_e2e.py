"""The product, order, customer and refund sync logs against the broker: entries of all four
kinds reported by a connector's reporter and over POST /sync-logs, with later status updates of
the same records, read back through two workers (scatter-gather) and checked against plain
Python; bad reports write nothing; a bulk re-sync of one failure reason queues exactly those
subjects, and a connector's answer shows."""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Iterator
from typing import Any

import pytest

from stocksync.connectors.sync_log_reporter import (
    InvalidEntry,
    SyncLogReporter,
    read_resync_requests,
    subject_partition,
)
from stocksync.projections.sync_logs import SyncLogEntry, SyncLogKind, SyncLogStatus, merge_entry
from stocksync.projections.view_codec import decode_sync_log_entry
from stocksync.settings import Settings
from stocksync.streams.sync_log_api import entry_json
from stocksync.topic_reader import read_to_end
from stocksync.topics import SYNC_LOG_RESYNC, SYNC_LOGS
from tests.conftest import WorkerFactory
from tests.e2e.history_client import answered, every_page, quoted
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka

PENDING, PROCESSING = SyncLogStatus.PENDING, SyncLogStatus.PROCESSING
SYNCED, FAILED = SyncLogStatus.SYNCED, SyncLogStatus.FAILED
STORES = {"S1": "lightspeed", "S2": "Brightpearl", "S3": "shopify"}
CODES = ("TIMEOUT", "VALIDATION", "INVALID_IMAGE")
MESSAGES = {"TIMEOUT": "no answer in 30 s", "VALIDATION": "SKU already exists",
            "INVALID_IMAGE": "Invalid Image"}
NOW = int(time.time() * 1000)
LOG_APPEND_TIME = 1  # a Kafka record's timestamp type


def details(kind: SyncLogKind, n: int) -> tuple[tuple[str, str], ...]:
    """The seeds' columns of each log page."""
    columns = {
        SyncLogKind.PRODUCT: {"product_name": f"Green tea {n}", "sku": f"TEA-{n}",
                              "source": "Brightpearl"},
        SyncLogKind.ORDER: {"source": "Lightspeed", "source_so_id": f"SO-{n}",
                            "total": f"{n}.50"},
        SyncLogKind.CUSTOMER: {"name": f"Customer {n}", "email": f"c{n}@example.com",
                               "phone": f"+62 812 {n:04d}"},
        SyncLogKind.REFUND: {"bp_so_id": f"SO-{n}", "sales_credit_id": f"SC-{n}"},
    }[kind]
    return tuple(sorted(columns.items()))


def generated_lifecycles(rng: random.Random, size: int = 80) -> list[list[SyncLogEntry]]:
    """Each record's updates in the order a connector reports them: PENDING, sometimes
    PROCESSING, mostly SYNCED or FAILED with a reason. Subjects repeat, so that one subject in
    one store can have several failed records."""
    lives = []
    for n in range(size):
        kind = list(SyncLogKind)[n % 4]
        store = rng.choice(sorted(STORES))
        first = SyncLogEntry(
            record_id="refund/rf 7" if n == 7 else f"log-{n:03d}",  # a slash and a space
            kind=kind, subject_id=f"{kind.value[0].lower()}{rng.randrange(10)}", store_id=store,
            marketplace=STORES[store], status=PENDING,
            occurred_at=NOW - rng.randrange(3_600_000), log_time=0, details=details(kind, n))
        steps = [first]
        if rng.random() < 0.5:
            steps.append(dataclasses.replace(first, status=PROCESSING))
        outcome = rng.random()
        if outcome < 0.45:
            code = rng.choice(CODES)
            steps.append(dataclasses.replace(first, status=FAILED, failure_code=code,
                                             failure_message=MESSAGES[code]))
        elif outcome < 0.85:
            steps.append(dataclasses.replace(first, status=SYNCED))
        lives.append(steps)
    # An order of S1 failed twice, the second record already on a re-sync that failed too.
    first = dataclasses.replace(lives[1][0], record_id="dup-1", subject_id="o-dup",
                                store_id="S1", marketplace=STORES["S1"])
    timeout = {"status": FAILED, "failure_code": "TIMEOUT", "failure_message": "no answer"}
    second = dataclasses.replace(first, record_id="dup-2")
    lives.append([first, dataclasses.replace(first, **timeout)])
    lives.append([second, dataclasses.replace(second, **timeout),
                  dataclasses.replace(second, attempt=2),
                  dataclasses.replace(second, attempt=2, **timeout)])
    return lives


def posted(entry: SyncLogEntry, rng: random.Random) -> dict[str, Any]:
    """An entry as a connector outside the process posts it: any case of kind and status; no
    log time, or one of its own clock (replaced by the log's)."""
    body = {"record_id": entry.record_id, "kind": entry.kind.value.lower(),
            "subject_id": entry.subject_id, "store_id": entry.store_id,
            "marketplace": entry.marketplace, "status": rng.choice([str.lower, str.upper])(
                entry.status.value), "occurred_at": entry.occurred_at,
            "attempt": entry.attempt, "details": dict(entry.details)}
    if entry.failure_code is not None:
        body |= {"failure_code": entry.failure_code, "failure_message": entry.failure_message}
    if rng.random() < 0.3:
        body["log_time"] = 1
    return body


def report_in_waves(worker: WorkerProcess, settings: Settings,
                    lives: list[list[SyncLogEntry]], rng: random.Random) -> None:
    """Wave k holds every record's k-th update, half through the reporter, half posted; a wave
    starts once the one before is written, so each record's updates reach the log in order."""
    with SyncLogReporter(settings) as reporter:
        for wave in range(max(len(steps) for steps in lives)):
            updates = [steps[wave] for steps in lives if len(steps) > wave]
            rng.shuffle(updates)
            half = len(updates) // 2
            assert half == reporter.report(updates[:half])
            status, answer = worker.post("/sync-logs", {
                "entries": [posted(e, rng) for e in updates[half:]]})
            assert (200, [e.record_id for e in updates[half:]]) == (status,
                                                                     answer["record_ids"])
            assert len(updates) - half == answer["accepted"]


def logged(settings: Settings) -> tuple[list[Any], dict[str, SyncLogEntry]]:
    """The messages of `sync-logs`, and the entries they make: each update with its message's
    append time as log time, merged by record id."""
    messages = read_to_end(settings, settings.topic(SYNC_LOGS.name))
    entries: dict[str, SyncLogEntry] = {}
    for message in messages:
        update = dataclasses.replace(decode_sync_log_entry(message.value),
                                     log_time=message.timestamp)
        entries[update.record_id] = merge_entry(entries.get(update.record_id), update)
    return messages, entries


@pytest.fixture(scope="module")
def settings(topics: Settings) -> Settings:
    return topics.with_overrides(time_zone="Asia/Jakarta")


@pytest.fixture(scope="module")
def log_workers(settings: Settings) -> Iterator[WorkerFactory]:
    factory = WorkerFactory(settings)
    first = factory.start("l1")
    factory.start("l2")
    eventually(lambda: answered(first, "/sync-logs"), timeout_s=120, what="both workers serve")
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def worker(log_workers: WorkerFactory) -> WorkerProcess:
    return log_workers.workers[0]


@pytest.fixture(scope="module")
def lives() -> list[list[SyncLogEntry]]:
    return generated_lifecycles(random.Random(20261124))


@pytest.fixture(scope="module")
def reported(worker: WorkerProcess, settings: Settings,
             lives: list[list[SyncLogEntry]]) -> dict[str, SyncLogEntry]:
    """Everything reported, and the entries the log makes of it once the API serves them."""
    before = int(time.time() * 1000)
    report_in_waves(worker, settings, lives, random.Random(5))
    after = int(time.time() * 1000)
    messages, entries = logged(settings)
    assert sum(len(steps) for steps in lives) == len(messages)
    # the log time is the broker's clock, taken when each update arrived
    assert {LOG_APPEND_TIME} == {m.timestamp_type for m in messages}
    assert all(before - 1000 <= m.timestamp <= after + 1000 for m in messages)
    assert all(m.partition == subject_partition(e.kind, e.store_id, e.subject_id,
                                                settings.partitions)
               and m.key == e.record_id.encode()
               for m in messages for e in [decode_sync_log_entry(m.value)])
    wait_for_entries(worker, entries)
    return entries


def newest_first(entries: Any) -> list[SyncLogEntry]:
    return sorted(entries, key=lambda e: (e.log_time, e.record_id), reverse=True)


def wait_for_entries(worker: WorkerProcess, entries: dict[str, SyncLogEntry]) -> None:
    expected = [entry_json(e) for e in newest_first(entries.values())]

    def served() -> bool | None:
        return True if every_page(worker, "/sync-logs", {}, "entries",
                                  limit=1000) == expected else None

    eventually(served, timeout_s=120, what=f"the {len(entries)} entries through the API")


def test_every_record_shows_its_last_update(lives, reported) -> None:
    """The log's entries are the records' last updates (attempt, status, reason), of every
    kind, all four statuses among them."""
    last = {steps[-1].record_id: steps[-1] for steps in lives}
    assert {i: (e.kind, e.attempt, e.status, e.failure_code, e.details)
            for i, e in last.items()} == {
        i: (e.kind, e.attempt, e.status, e.failure_code, e.details) for i, e in reported.items()}
    assert set(SyncLogKind) == {e.kind for e in reported.values()}
    assert set(SyncLogStatus) == {e.status for e in reported.values()}


def random_conditions(rng: random.Random, log_times: list[int]) -> dict[str, Any]:
    since, until = sorted(rng.sample(log_times, 2))
    choices: dict[str, Any] = {
        "kind": set(rng.sample(list(SyncLogKind), rng.randint(1, 2))),
        "store_id": rng.choice(sorted(STORES)),
        "marketplace": rng.choice(["LIGHTSPEED", "brightpearl", "Shopify", "etsy"]),
        "subject_id": rng.choice(["o1", "p2", "c3", "r4", "o-dup"]),
        "status": set(rng.sample(list(SyncLogStatus), rng.randint(1, 2))),
        "failure_reason": set(rng.sample(CODES, rng.randint(1, 2))),
        "since": since, "until": until,
    }
    chosen = rng.sample(sorted(choices), rng.randint(1, 3))
    return {name: choices[name] for name in chosen}


def as_query(conditions: dict[str, Any], rng: random.Random) -> dict[str, str]:
    def text(value: Any) -> str:
        if isinstance(value, set):
            words = sorted(getattr(v, "value", v) for v in value)
            return ",".join(rng.choice([str.lower, str.upper])(w) for w in words)
        return str(value)

    return {name: text(value) for name, value in conditions.items()}


def reference_query(entries: Any, conditions: dict[str, Any]) -> list[SyncLogEntry]:
    """The entries `conditions` select, newest first, in plain Python."""
    def matches(e: SyncLogEntry) -> bool:
        c = conditions
        return (("kind" not in c or e.kind in c["kind"])
                and ("store_id" not in c or e.store_id == c["store_id"])
                and ("marketplace" not in c or e.marketplace.lower() == c["marketplace"].lower())
                and ("subject_id" not in c or e.subject_id == c["subject_id"])
                and ("status" not in c or e.status in c["status"])
                and ("failure_reason" not in c or e.failure_code in c["failure_reason"])
                and ("since" not in c or e.log_time >= c["since"])
                and ("until" not in c or e.log_time < c["until"]))

    return newest_first(e for e in entries if matches(e))


def test_filters_return_exactly_the_matching_entries(worker, reported) -> None:
    """Random filters, paged 7 at a time across both workers, equal a plain-Python filter."""
    rng = random.Random(11)
    log_times = sorted({e.log_time for e in reported.values()})
    for _ in range(25):
        conditions = random_conditions(rng, log_times)
        expected = [entry_json(e) for e in reference_query(reported.values(), conditions)]
        query = as_query(conditions, rng)
        found = eventually(lambda: every_page(worker, "/sync-logs", query, "entries"),
                           timeout_s=60, what="a stable answer")
        assert expected == found, query
    failed = every_page(worker, "/sync-logs", {"status": "failed"}, "entries", limit=3)
    assert failed and {"FAILED"} == {e["status"] for e in failed}


def test_every_entry_by_id_with_all_its_fields(worker, reported) -> None:
    for e in random.Random(3).sample(sorted(reported.values(), key=lambda e: e.record_id), 15):
        assert (200, entry_json(e)) == answered(worker, f"/sync-logs/{quoted(e.record_id)}")
    refund = reported["refund/rf 7"]
    assert (200, entry_json(refund)) == answered(worker, f"/sync-logs/{quoted('refund/rf 7')}")
    status, body = answered(worker, "/sync-logs/no-such-id")
    assert (404, "no-such-id") == (status, body["record_id"]) and body["error"]


def test_bad_queries_are_json_errors_naming_the_parameter(worker, reported) -> None:
    for query, parameter in [("kind=INVENTORY", "kind"), ("status=SKIPPED", "status"),
                             ("reason=SYNC_ORDER", "reason"), ("limit=0", "limit"),
                             ("cursor=xyz", "cursor"), ("range=fortnight", "range"),
                             ("failure_reason=A,,B", "failure_reason")]:
        status, body = worker.get(f"/sync-logs?{query}")
        assert (400, parameter) == (status, body["parameter"]), query
        assert body["error"]


def test_a_report_with_one_bad_entry_writes_nothing(worker, settings, reported) -> None:
    """POST with a bad third entry: 400 naming it, and none of the batch reaches the log; the
    reporter refuses a bad entry before sending any."""
    good = {"record_id": "batch-0", "kind": "ORDER", "subject_id": "o1", "store_id": "S1",
            "marketplace": "lightspeed", "status": "PENDING", "occurred_at": NOW}
    batch = [good, {**good, "record_id": "batch-1"},
             {**good, "record_id": "batch-2", "status": "FAILED"}]
    status, body = worker.post("/sync-logs", {"entries": batch})
    assert (400, 2, "failure_code") == (status, body["entry"], body["field"])
    assert "entries[2].failure_code" in body["error"]
    entry = dataclasses.replace(reported["log-000"], record_id="reported-0")
    with SyncLogReporter(settings) as reporter, pytest.raises(InvalidEntry):
        reporter.report([entry, dataclasses.replace(entry, record_id="reported-1", attempt=0)])
    keys = {m.key for m in read_to_end(settings, settings.topic(SYNC_LOGS.name))}
    assert not keys & {b"batch-0", b"batch-1", b"batch-2", b"reported-0", b"reported-1"}


def resync(worker: WorkerProcess, body: dict[str, Any]) -> dict[str, Any]:
    def post() -> dict[str, Any] | None:
        status, answer = worker.post("/sync-logs/resync", body)
        if status == 503:
            return None
        assert 200 == status, answer
        return answer

    return eventually(post, timeout_s=60, what="a re-sync answer")


def expected_targets(entries: dict[str, SyncLogEntry], code: str) -> list[dict[str, Any]]:
    """The subjects of the FAILED entries of one failure reason, in plain Python."""
    groups: dict[tuple[str, str, str], list[SyncLogEntry]] = {}
    for e in entries.values():
        if e.status is FAILED and e.failure_code == code:
            groups.setdefault((e.kind.value, e.store_id, e.subject_id), []).append(e)
    return [{"kind": kind, "store_id": store, "subject_id": subject,
             "attempt": max(e.attempt for e in failed) + 1,
             "record_ids": sorted(e.record_id for e in failed)}
            for (kind, store, subject), failed in sorted(groups.items())]


def test_a_bulk_resync_queues_exactly_the_failed_subjects_of_one_reason(
        worker, settings, reported) -> None:
    targets = expected_targets(reported, "TIMEOUT")
    assert len(targets) > 3 and any(len(t["record_ids"]) > 1 for t in targets)
    answer = resync(worker, {"filter": {"failure_reason": "timeout", "status": "FAILED"}})
    assert targets == [{k: v for k, v in q.items() if k != "request_id"}
                       for q in answer["queued"]]
    assert [] == answer["not_retryable"]

    # one request per subject on sync-log-resync, on the subject's partition
    requests = read_resync_requests(settings)
    assert sorted(q["request_id"] for q in answer["queued"]) == sorted(
        r.request_id for r in requests)
    assert targets == sorted(
        ({"kind": r.kind.value, "store_id": r.store_id, "subject_id": r.subject_id,
          "attempt": r.attempt, "record_ids": list(r.record_ids)} for r in requests),
        key=lambda t: (t["kind"], t["store_id"], t["subject_id"]))
    for message, request in zip(read_to_end(settings, settings.topic(SYNC_LOG_RESYNC.name)),
                                requests, strict=True):
        assert message.partition == subject_partition(
            request.kind, request.store_id, request.subject_id, settings.partitions)

    # the failed entries show PENDING at the next attempt; every other entry is as it was
    attempts = {i: t["attempt"] for t in targets for i in t["record_ids"]}
    _, after = logged(settings)
    assert {i: (PENDING, attempts[i], None, None) for i in attempts} == {
        i: (after[i].status, after[i].attempt, after[i].failure_code, after[i].failure_message)
        for i in attempts}
    assert {i: e for i, e in reported.items() if i not in attempts} == {
        i: e for i, e in after.items() if i not in attempts}
    wait_for_entries(worker, after)

    # nothing is left to queue for that reason; by ids, what is not FAILED is named
    assert [] == resync(worker, {"filter": {"failure_reason": "TIMEOUT"}})["queued"]
    synced = next(i for i, e in sorted(reported.items()) if e.status is SYNCED)
    answer = resync(worker, {"record_ids": ["dup-1", synced, "no-such-id"]})
    assert [] == answer["queued"]
    assert sorted([("dup-1", "NOT_FAILED", "PENDING"), ("no-such-id", "UNKNOWN", None),
                   (synced, "NOT_FAILED", "SYNCED")]) == sorted(
        (n["record_id"], n["refusal"], n["status"]) for n in answer["not_retryable"])
    status, body = worker.post("/sync-logs/resync", {"filter": {"status": "SYNCED"}})
    assert (400, "status") == (status, body["parameter"])

    # a connector answers the requests: SYNCED at their attempts
    with SyncLogReporter(settings) as reporter:
        reporter.report([dataclasses.replace(after[i], status=SYNCED, attempt=r.attempt)
                         for r in requests for i in r.record_ids])
    _, answered_log = logged(settings)
    for record_id, attempt in attempts.items():
        shown = answered_log[record_id]
        assert (SYNCED, attempt) == (shown.status, shown.attempt)
        assert shown.log_time > after[record_id].log_time  # back on top of the log page
    wait_for_entries(worker, answered_log)
    status, dup = answered(worker, "/sync-logs/dup-2")
    assert (200, "SYNCED", 3) == (status, dup["status"], dup["attempt"])


def test_reading_needs_a_viewer_and_reporting_or_resyncing_an_operator(settings) -> None:
    """With tokens configured: no token 401, a viewer reads but may not report or re-sync
    (403), an operator passes the guard (here to a 400: nothing is written)."""
    viewer, operator = "viewer-sl-3c1d", "operator-sl-8e4b"
    guarded = settings.with_overrides(app_id=f"{settings.app_id}-guarded",
                                      api_tokens=f"viewer:{viewer},operator:{operator}")
    factory = WorkerFactory(guarded)
    try:
        worker = factory.start("guarded", wait=False)
        worker.token = viewer
        worker.wait_until_serving()
        assert 200 == eventually(lambda: answered(worker, "/sync-logs"), timeout_s=60,
                                 what="the log through a viewer")[0]
        assert 403 == worker.post("/sync-logs", {"entries": []})[0]
        assert 403 == worker.post("/sync-logs/resync", {"record_ids": ["dup-1"]})[0]
        worker.token = operator
        assert 400 == worker.post("/sync-logs", {"entries": []})[0]
        assert 400 == worker.post("/sync-logs/resync", {"record_ids": []})[0]
        worker.token = None
        assert 401 == worker.get("/sync-logs")[0]
        assert 401 == worker.get("/sync-logs/dup-1")[0]
    finally:
        factory.stop_all()


def test_entries_leave_the_log_when_older_than_the_retention(settings, reported) -> None:
    """A worker with a 15 s retention (a new application on the same topic) never serves an
    entry logged longer ago than that, and drops a fresh one once it is."""
    retention_ms = 15_000
    short = settings.with_overrides(app_id=f"{settings.app_id}-retention",
                                    history_retention_ms=retention_ms,
                                    history_prune_interval_s=0.5)
    factory = WorkerFactory(short)
    try:
        worker = factory.start("retention")
        fresh = dataclasses.replace(reported["log-001"], record_id="fresh-1")
        with SyncLogReporter(settings) as reporter:
            reporter.report([fresh])

        stale: list[dict[str, Any]] = []  # outside `eventually`, which retries on asserts

        def served() -> list[dict[str, Any]] | None:
            found = every_page(worker, "/sync-logs", {}, "entries", limit=1000)
            # an entry may outlive its cutoff by one pruning interval, and a little more
            oldest = int(time.time() * 1000) - retention_ms - 2_000
            stale.extend(e for e in found or [] if e["log_time"] < oldest)
            return found

        eventually(lambda: True if any(e["record_id"] == "fresh-1" for e in served() or [])
                   else None, timeout_s=60, what="the fresh entry")
        assert 200 == answered(worker, "/sync-logs/fresh-1")[0]
        eventually(lambda: True if served() == [] else None, timeout_s=45,
                   what="every entry to leave the log")
        assert 404 == answered(worker, "/sync-logs/fresh-1")[0]
        assert [] == stale
    finally:
        factory.stop_all()
