"""Merging the reports on one record does not depend on their order."""

from __future__ import annotations

from itertools import permutations

from stocksync.domain.events import Reason
from stocksync.domain.sync import Cause, FailureCode, SyncRecord, SyncStatus
from stocksync.projections.sync_history import merge_all

BASE = SyncRecord("r-1", 1, 2, "shopee", "S1", "Shop", "SS1", "M1", "WH-1", 5, -1, 4, "R1",
                  Reason.SYNC_ORDER, Cause("e-1", "stock-events", 0, 7))


def test_every_order_of_reports_gives_the_same_record() -> None:
    """PENDING, FAILED and SUCCESSFULLY reports of one record merge alike in any order."""
    from dataclasses import replace

    reports = [BASE,
               replace(BASE, status=SyncStatus.FAILED, failure_code=FailureCode.TIMEOUT),
               replace(BASE, status=SyncStatus.SUCCESSFULLY)]
    merged = {merge_all(order)["r-1"] for order in permutations(reports)}
    assert {replace(BASE, status=SyncStatus.SUCCESSFULLY)} == merged
