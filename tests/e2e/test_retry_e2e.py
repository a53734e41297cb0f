"""Bulk retry against the broker: `POST /push-records/retry` re-pushes the current quantity of
the listings of FAILED records of one failure reason, as new PUSH_NOW records, and leaves every
other record and listing alone."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import OrderStatus, OrderSynced, StockReceivedManually
from stocksync.settings import Settings
from tests.e2e.history_client import every_page
from tests.e2e.marketplace import MarketplaceProcess
from tests.e2e.pipeline import (
    Events,
    listing_shows,
    publish,
    rule,
    running_marketplace,
    store,
    wait_for_config,
)
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def marketplace(topics: Settings) -> Iterator[MarketplaceProcess]:
    with running_marketplace(topics, rate_limit=20.0) as process:
        yield process


@pytest.fixture(scope="module")
def worker(workers, topics: Settings, marketplace: MarketplaceProcess) -> WorkerProcess:
    writer = ConfigWriter(topics)
    for store_id in ("R1", "R2"):
        writer.put_store(store(store_id, marketplace, rps=10.0))
    writer.put_rule(rule("retry", "WH-R", ["R1", "R2"]))
    started = workers.start("retry")
    wait_for_config(started, topics)
    return started


def records(worker: WorkerProcess, **params: str) -> list[dict]:
    return eventually(lambda: every_page(worker, "/sync-records", params, "records", limit=100),
                      timeout_s=30, what="the sync records")


def settled(worker: WorkerProcess, sku: str, failed_a1: int = 0) -> list[dict]:
    """The SKU's records once none is PENDING (and `failed_a1` of them are A-1's FAILED)."""
    def done() -> list[dict] | None:
        found = every_page(worker, "/sync-records", {"merchant_sku": sku}, "records", limit=100)
        return found if found is not None and all(r["status"] != "PENDING" for r in found) and (
            failed_a1 == sum(r["store_sku"] == "A-1" and r["status"] == "FAILED"
                             for r in found)) else None

    return eventually(done, timeout_s=90, what=f"the records of {sku} to settle")


def test_bulk_retry_of_one_failure_reason(worker, topics, marketplace) -> None:
    a, b = Events("RA", "WH-R"), Events("RB", "WH-R")
    publish(topics, [a(StockReceivedManually, qty=10), a.mapped("R1", "A-1"),
                     a.mapped("R2", "A-2"), b(StockReceivedManually, qty=10),
                     b.mapped("R1", "B-1")])
    for store_id, sku in (("R1", "A-1"), ("R2", "A-2"), ("R1", "B-1")):
        listing_shows(marketplace, store_id, sku, 10)
    settled(worker, "RA"), settled(worker, "RB")
    # A-1 answers 500 (MARKETPLACE_ERROR after 5 attempts) to the next two pushes' 10 attempts;
    # B-1 answers 401 (AUTH_EXPIRED at once).
    marketplace.post("/admin/fail", {"store_id": "R1", "store_sku": "A-1", "status": 500,
                                     "times": 10})
    marketplace.post("/admin/fail", {"store_id": "R1", "store_sku": "B-1", "status": 401,
                                     "times": 1})
    publish(topics, [a(OrderSynced, order_id="OA-1", store_id="R2", qty=3,
                       order_status=OrderStatus.NEW),
                     b(OrderSynced, order_id="OB-1", store_id="R1", qty=2,
                       order_status=OrderStatus.NEW)])
    settled(worker, "RA", failed_a1=1)
    time.sleep(1.1)  # the next trigger in a new window: its record is pushed, not SKIPPED
    publish(topics, [a(StockReceivedManually, qty=5)])  # A is 12 now, still failing on A-1
    a_records = settled(worker, "RA", failed_a1=2)
    b_records = settled(worker, "RB")
    failed_a1 = sorted(r["record_id"] for r in a_records
                       if r["store_sku"] == "A-1" and r["status"] == "FAILED")
    assert 2 == len(failed_a1)
    assert {"MARKETPLACE_ERROR"} == {r["failure_code"] for r in a_records
                                     if r["record_id"] in failed_a1}
    (failed_b1,) = [r for r in b_records if r["status"] == "FAILED"]
    assert "AUTH_EXPIRED" == failed_b1["failure_code"]
    listing_shows(marketplace, "R2", "A-2", 12)
    pushes_before = {sku: _pushes(marketplace, store_id, sku)
                     for store_id, sku in (("R1", "B-1"), ("R2", "A-2"))}

    status, answer = worker.post("/push-records/retry", {"filter": {
        "failure_reason": "marketplace_error"}})
    assert 200 == status, answer
    assert [{"merchant_sku": "RA", "store_ids": ["R1"], "event_id": answer["queued"][0]["event_id"],
             "listings": [{"store_id": "R1", "store_sku": "A-1", "record_ids": failed_a1}]}
            ] == answer["queued"]
    # The current quantity (12), not a failed record's (7 or 12 at the time), as a new record.
    listing_shows(marketplace, "R1", "A-1", 12)
    after = eventually(lambda: (lambda found: found if len(found) == len(a_records) + 1 and all(
        r["status"] != "PENDING" for r in found) else None)(records(worker, merchant_sku="RA")),
        timeout_s=60, what="the PUSH_NOW record's outcome")
    (retried,) = [r for r in after if r["reason"] == "PUSH_NOW"]
    assert ("A-1", 12, "SUCCESSFULLY") == (retried["store_sku"], retried["after_qty"],
                                           retried["status"])
    # Everything else is as it was: the failed records keep their status, B-1 and A-2 got no
    # push, and B-1 still shows its old quantity.
    unchanged = {r["record_id"]: r for r in after if r["record_id"] != retried["record_id"]}
    assert unchanged == {r["record_id"]: r for r in a_records}
    assert b_records == records(worker, merchant_sku="RB")
    time.sleep(2)
    assert pushes_before == {sku: _pushes(marketplace, store_id, sku)
                             for store_id, sku in (("R1", "B-1"), ("R2", "A-2"))}
    assert 10 == marketplace.listings("R1")["B-1"]


def test_retry_by_ids_refuses_unknown_and_unfailed_records(worker) -> None:
    ok = next(r for r in records(worker, merchant_sku="RA") if r["status"] == "SUCCESSFULLY")
    status, answer = worker.post("/push-records/retry",
                                 {"record_ids": [ok["record_id"], "no-such-record"]})
    assert 200 == status
    assert [] == answer["queued"]
    assert [("NOT_FAILED", "SUCCESSFULLY"), ("UNKNOWN", None)] == sorted(
        (n["refusal"], n["status"]) for n in answer["not_retryable"])


def test_retry_requests_are_checked(worker) -> None:
    for body, words in [({}, "exactly one"), ({"record_ids": []}, "non-empty"),
                        ({"filter": {"status": "SUCCESSFULLY"}}, "only FAILED"),
                        ({"filter": {"colour": "red"}}, "unknown parameter"),
                        ({"record_ids": ["x"], "filter": {}}, "exactly one")]:
        status, answer = worker.post("/push-records/retry", body)
        assert 400 == status and words in answer["error"], (body, answer)


def _pushes(marketplace: MarketplaceProcess, store_id: str, sku: str) -> int:
    return sum(1 for r in marketplace.requests(store_id) if r["store_sku"] == sku)

