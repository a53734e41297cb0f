"""Retention of the sync-history views against the broker, with a 30 s retention: a record
leaves every view once it is older than that, and one older already is never applied."""

from __future__ import annotations

import time

import pytest

from stocksync.domain.sync import SyncStatus
from stocksync.settings import Settings
from tests.conftest import WorkerFactory
from tests.e2e.history_client import answered, every_page, produce_records
from tests.harness import eventually
from tests.projections.histories import record

pytestmark = pytest.mark.kafka

RETENTION_MS = 30_000


def test_records_leave_the_views_when_older_than_the_retention(topics: Settings) -> None:
    settings = topics.with_overrides(history_retention_ms=RETENTION_MS,
                                     history_prune_interval_s=0.5)
    factory = WorkerFactory(settings)
    try:
        worker = factory.start("retention")
        now = int(time.time() * 1000)
        done = SyncStatus.SUCCESSFULLY
        stale = record(1, now - RETENTION_MS - 5_000, status=done)  # out of the history already
        old = record(2, now - 15_000, status=done, after_qty=2)  # leaves in ~15 s
        new = record(3, now - 1_000, status=done, after_qty=3)  # leaves in ~29 s
        produce_records(settings, [stale, old, new])

        def ids() -> list[str] | None:
            found = every_page(worker, "/sync-records", {}, "records")
            return None if found is None else [r["record_id"] for r in found]

        assert ["r0003", "r0002"] == eventually(
            lambda: (lambda found: found if found and len(found) == 2 else None)(ids()),
            timeout_s=12, what="the two records inside the retention")
        assert 404 == answered(worker, "/sync-records/r0001")[0]

        # The older one leaves every view; the newer one stays in all of them.
        assert ["r0003"] == eventually(
            lambda: (lambda found: found if found == ["r0003"] else None)(ids()),
            timeout_s=30, what="r0002 to leave the history")
        assert 404 == answered(worker, "/sync-records/r0002")[0]
        status, page = answered(worker, "/push-records/S1/a1")
        assert (200, ["r0003"], 3) == (status, [r["record_id"] for r in page["records"]],
                                       page["last_push_qty"])
        status, row = answered(worker, "/sync-recording/APPLE")
        assert (200, "r0003") == (status, row["latest"]["record_id"])

        # Then the newer one: the listing and the SKU have no history left.
        eventually(lambda: True if ids() == [] else None, timeout_s=30,
                   what="r0003 to leave the history")
        assert 404 == answered(worker, "/sync-records/r0003")[0]
        assert 404 == answered(worker, "/push-records/S1/a1")[0]
        assert 404 == answered(worker, "/sync-recording/APPLE")[0]
        assert [] == every_page(worker, "/sync-recording", {}, "merchant_skus")
        assert [] == every_page(worker, "/sync-records", {"merchant_sku": "APPLE"}, "records")
    finally:
        factory.stop_all()
