"""LastPushed: the last successful push per listing, rebuilt from push results."""

from stocksync.connectors import LastPush, MemoryLastPushed
from stocksync.domain.sync import FailureCode, PushResult, SyncStatus


def result(record_id: str, qty: int, status: SyncStatus = SyncStatus.SUCCESSFULLY) -> PushResult:
    failed = status is SyncStatus.FAILED
    return PushResult(record_id, "S1", "SKU-1", status, qty, 1, 0,
                      FailureCode.TIMEOUT if failed else None, "slow" if failed else None)


def test_an_unknown_listing_has_no_last_push() -> None:
    """Nothing was pushed: get answers None."""
    assert None is MemoryLastPushed().get("S1", "SKU-1")


def test_put_remembers_per_store_and_sku() -> None:
    """Listings of different stores with the same SKU are kept apart."""
    last = MemoryLastPushed()
    last.put("S1", "SKU-1", LastPush(4, "R1"))
    last.put("S2", "SKU-1", LastPush(6, "R2"))
    assert [LastPush(4, "R1"), LastPush(6, "R2")] == [
        last.get("S1", "SKU-1"), last.get("S2", "SKU-1")]


def test_apply_folds_successes_and_ignores_failures() -> None:
    """Rebuilding from results: the last success counts, a later failure changes nothing."""
    last = MemoryLastPushed()
    for pushed in (result("R1", 5), result("R2", 3), result("R3", 9, SyncStatus.FAILED)):
        last.apply(pushed)
    assert LastPush(3, "R2") == last.get("S1", "SKU-1")
