"""The sync-history views and their API against the broker: a generated history written to
`sync-records`, read back through two workers (scatter-gather), checked against plain Python;
the 100-record bound of a Push Record page; views rebuilt from the topics alone."""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from stocksync.domain.events import Reason
from stocksync.domain.sync import FailureCode, SyncRecord, SyncStatus
from stocksync.projections.sync_history import merge_all
from stocksync.projections.views import apply_to_summary
from stocksync.schemas.push_codec import sync_record_to_avro
from stocksync.settings import Settings
from tests.conftest import WorkerFactory
from tests.e2e.history_client import answered, every_page, produce_records, quoted
from tests.harness import WorkerProcess, eventually
from tests.projections.histories import as_query, record, reference_query, with_status

pytestmark = pytest.mark.kafka

TZ = "Asia/Jakarta"
NOW = int(time.time() * 1000)
SKUS = ("APPLE", "PEAR", "FIG", "KIWI, GREEN")  # a comma, as merchant SKUs may hold
STORE_SKUS = ("a1", "a/2")  # a slash: path segments are quoted
STORES = {"S1": "shopee", "S2": "lazada", "S3": "Shopify"}
REASONS = (Reason.SYNC_ORDER, Reason.STOCK_IN_MANUAL, Reason.REFRESH_INVENTORY, Reason.PUSH_NOW)
CODES = (FailureCode.AUTH_EXPIRED, FailureCode.MARKETPLACE_ERROR, FailureCode.LISTING_NOT_FOUND)


def generated_history(rng: random.Random, size: int = 300) -> list[SyncRecord]:
    """Messages as the pipeline writes them: every record PENDING or SKIPPED first, most of the
    pushed ones later again with their outcome; log times over the last 3 days (so that
    range=today cuts some off)."""
    messages, outcomes = [], []
    for n in range(size):
        store_id = rng.choice(sorted(STORES))
        first = record(
            n, NOW - rng.randrange(3 * 24 * 3600 * 1000), store_id=store_id,
            store_sku=rng.choice(STORE_SKUS), merchant_sku=rng.choice(SKUS),
            after_qty=rng.randrange(100), reason=rng.choice(REASONS),
            status=rng.choice([SyncStatus.PENDING] * 4 + [SyncStatus.SKIPPED]),
        )
        first = _marketplace(first, STORES[store_id])
        messages.append(first)
        if first.status is SyncStatus.PENDING and rng.random() < 0.8:
            code = rng.choice(CODES) if rng.random() < 0.4 else None
            outcomes.append(with_status(first, SyncStatus.FAILED, code) if code
                            else with_status(first, SyncStatus.SUCCESSFULLY))
    rng.shuffle(outcomes)
    return messages + outcomes


def long_listing() -> list[SyncRecord]:
    """101 records of one store SKU, oldest first: the last one pushes the first out."""
    return [_marketplace(record(5000 + n, NOW - 3_600_000 + n * 1000, store_id="S9",
                                store_sku="long", merchant_sku="LONG", after_qty=n,
                                status=SyncStatus.SUCCESSFULLY), "tokopedia")
            for n in range(101)]


def _marketplace(r: SyncRecord, marketplace: str) -> SyncRecord:
    from dataclasses import replace

    return replace(r, marketplace=marketplace)


def random_conditions(rng: random.Random) -> dict[str, Any]:
    times = sorted(rng.sample(range(NOW - 3 * 24 * 3600 * 1000, NOW, 60_000), 2))
    choices: dict[str, Any] = {
        "merchant_sku": rng.choice(SKUS), "store_id": rng.choice(sorted(STORES)),
        "store_sku": rng.choice(STORE_SKUS),
        "marketplace": rng.choice(["SHOPEE", "lazada", "shopify", "etsy"]),
        "status": frozenset(rng.sample(list(SyncStatus), rng.randint(1, 2))),
        "reason": frozenset(rng.sample(REASONS, rng.randint(1, 2))),
        "failure_reason": frozenset(rng.sample(CODES, rng.randint(1, 2))),
        "since": times[0], "until": times[1],
    }
    chosen = rng.sample(sorted(choices), rng.randint(1, 3))
    return {name: choices[name] if name in chosen else None for name in choices}


@pytest.fixture(scope="module")
def history(topics: Settings) -> dict[str, SyncRecord]:
    messages = generated_history(random.Random(20261123)) + long_listing()
    produce_records(topics, messages)
    return merge_all(messages)


@pytest.fixture(scope="module")
def settings(topics: Settings) -> Settings:
    return topics.with_overrides(time_zone=TZ)


@pytest.fixture(scope="module")
def history_workers(settings: Settings, history: dict[str, SyncRecord]) -> Iterator[WorkerFactory]:
    factory = WorkerFactory(settings)
    first = factory.start("h1")
    factory.start("h2")
    wait_for_history(first, len(history))
    yield factory
    factory.stop_all()


@pytest.fixture(scope="module")
def two_workers(history_workers: WorkerFactory) -> WorkerProcess:
    return history_workers.workers[0]


def wait_for_history(worker: WorkerProcess, size: int) -> list[dict[str, Any]]:
    def complete() -> list[dict[str, Any]] | None:
        found = every_page(worker, "/sync-records", {}, "records", limit=1000)
        return found if found is not None and len(found) == size else None

    return eventually(complete, timeout_s=120, what=f"{size} records through the API")


def test_filters_return_exactly_the_matching_records(two_workers, history) -> None:
    """Random filters, paged 7 at a time across both workers, equal a plain-Python filter."""
    rng = random.Random(7)
    for _ in range(25):
        conditions = random_conditions(rng)
        expected = [sync_record_to_avro(r) for r in reference_query(history.values(),
                                                                    conditions)]
        found = eventually(lambda: every_page(two_workers, "/sync-records", as_query(conditions),
                                              "records"), timeout_s=60, what="a stable answer")
        assert expected == found, conditions


def test_range_today_is_the_configured_zones_day(two_workers, history) -> None:
    midnight = datetime.now(ZoneInfo(TZ)).replace(hour=0, minute=0, second=0, microsecond=0)
    since = int(midnight.timestamp() * 1000)
    expected = [sync_record_to_avro(r) for r in reference_query(history.values(),
                                                                {"since": since})]
    found = every_page(two_workers, "/sync-records", {"range": "today"}, "records", limit=100)
    assert expected == found and 0 < len(found) < len(history)


def test_every_record_by_id_with_all_its_fields(two_workers, history) -> None:
    for r in random.Random(3).sample(sorted(history.values(), key=lambda r: r.record_id), 20):
        assert (200, sync_record_to_avro(r)) == answered(two_workers,
                                                         f"/sync-records/{r.record_id}")
    status, body = answered(two_workers, "/sync-records/no-such-id")
    assert (404, "no-such-id") == (status, body["record_id"]) and body["error"]


def test_bad_queries_are_json_errors_naming_the_parameter(two_workers) -> None:
    for query, parameter in [("status=LOST", "status"), ("colour=red", "colour"),
                             ("limit=0", "limit"), ("cursor=xyz", "cursor"),
                             ("range=fortnight", "range"), ("since=yesterday", "since")]:
        status, body = two_workers.get(f"/sync-records?{query}")
        assert (400, parameter) == (status, body["parameter"]), query
        assert body["error"]
    # aiohttp's own refusals are JSON too
    assert (404, "Not Found") == (lambda s, b: (s, b["error"]))(*two_workers.get("/no-such-page"))
    status, body = two_workers.call("DELETE", "/sync-records")
    assert (405, "Method Not Allowed") == (status, body["error"])


def test_the_101st_record_pushes_the_oldest_out_of_the_push_record_page(two_workers,
                                                                        history) -> None:
    status, page = answered(two_workers, f"/push-records/{quoted('S9', 'long')}")
    assert 200 == status
    ids = [r["record_id"] for r in page["records"]]
    assert [f"r{5000 + n:04d}" for n in range(100, 0, -1)] == ids  # newest first, r5000 gone
    assert (100, "SUCCESSFULLY") == (page["last_push_qty"], page["last_push_status"])
    # The record itself is still in the history: only the page is bounded.
    assert 200 == answered(two_workers, "/sync-records/r5000")[0]
    assert 404 == answered(two_workers, f"/push-records/{quoted('S9', 'nothing')}")[0]


def test_push_record_pages_hold_each_listings_latest_records(two_workers, history) -> None:
    for store_id in STORES:
        for store_sku in STORE_SKUS:
            expected = reference_query(history.values(),
                                       {"store_id": store_id, "store_sku": store_sku})[:100]
            status, page = answered(two_workers, f"/push-records/{quoted(store_id, store_sku)}")
            assert 200 == status
            assert [sync_record_to_avro(r) for r in expected] == page["records"]
            last = next((r for r in expected if r.status is not SyncStatus.SKIPPED), None)
            assert (last.after_qty if last else None) == page["last_push_qty"]


def test_sync_recording_rows_are_each_skus_latest_sync(two_workers, history) -> None:
    summaries: dict[str, Any] = {}
    for r in sorted(history.values(), key=lambda r: r.record_id):
        summaries[r.merchant_sku] = apply_to_summary(summaries.get(r.merchant_sku), r)
    rows = every_page(two_workers, "/sync-recording", {}, "merchant_skus", limit=2)
    newest_first = sorted(summaries.values(), key=lambda s: (s.log_time, s.record_id),
                          reverse=True)
    assert [(s.merchant_sku, s.last_sync_qty, s.latest.record_id) for s in newest_first] == [
        (row["merchant_sku"], row["last_sync_qty"], row["latest"]["record_id"]) for row in rows]
    failed = every_page(two_workers, "/sync-recording", {"status": "failed"}, "merchant_skus")
    assert {s.merchant_sku for s in newest_first if s.last_sync_status is SyncStatus.FAILED} == {
        row["merchant_sku"] for row in failed}
    status, row = answered(two_workers, f"/sync-recording/{quoted('KIWI, GREEN')}")
    assert 200 == status and row["records"]
    assert {r["record_id"] for r in row["records"]} == set(row["sync_record_ids"])


def views(worker: WorkerProcess) -> dict[str, Any] | None:
    """Everything the views answer: every record, every SKU's row, every listing's page."""
    records = every_page(worker, "/sync-records", {}, "records", limit=1000)
    rows = every_page(worker, "/sync-recording", {}, "merchant_skus", limit=1000)
    if records is None or rows is None:
        return None
    pages = {}
    for store_id, store_sku in sorted({(r["store_id"], r["store_sku"]) for r in records}):
        answer = answered(worker, f"/push-records/{quoted(store_id, store_sku)}")
        if answer is None:
            return None
        pages[(store_id, store_sku)] = answer
    return {"records": records, "rows": rows, "pages": pages}


def test_views_rebuilt_from_the_topics_equal_the_views_before(
        settings: Settings, history_workers: WorkerFactory, two_workers: WorkerProcess,
        history) -> None:
    """Every worker's local state deleted: restored from the changelogs, equal. A new
    application id: rebuilt from `sync-records` alone, equal."""
    before = eventually(lambda: views(two_workers), timeout_s=60, what="the views")
    factory = WorkerFactory(settings)
    history_workers.stop_all()
    for folder in settings.home.glob("worker-h*"):
        if folder.is_dir():
            shutil.rmtree(folder)
    try:
        restored = factory.start("h3")
        factory.start("h4")
        assert before == views_once_equal(restored, before)
    finally:
        factory.stop_all()
    fresh = WorkerFactory(settings.with_overrides(app_id=f"{settings.app_id}-rebuilt"))
    try:
        rebuilt = fresh.start("rebuilt")
        assert before == views_once_equal(rebuilt, before)
    finally:
        fresh.stop_all()


def views_once_equal(worker: WorkerProcess, before: dict[str, Any],
                     timeout_s: float = 120.0) -> dict[str, Any] | None:
    """The worker's views once they equal `before` (a rebuild catches up from the topic's
    start), or the last views seen when the time is up."""
    deadline = time.monotonic() + timeout_s
    found = None
    while time.monotonic() < deadline:
        found = views(worker) or found
        if found == before:
            break
        time.sleep(1)
    return found
