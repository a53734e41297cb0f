"""Two workers share the partitions; either answers for any SKU."""

from __future__ import annotations

import urllib.parse

import pytest

from stocksync.domain.events import StockReceivedManually
from stocksync.domain.stock import fold, stock_view
from stocksync.publisher import StockEventPublisher
from stocksync.settings import Settings
from tests.harness import eventually

pytestmark = pytest.mark.kafka

T0 = 1_767_225_600_000


def test_either_worker_answers_for_any_sku(workers, topics: Settings) -> None:
    """With two workers each owning some partitions, a query to either returns every SKU."""
    first = workers.start("one")
    second = workers.start("two")
    # Step 1: wait until the partitions are split between the two.
    eventually(lambda: True if (first.stats()["assigned_partitions"]
                                and second.stats()["assigned_partitions"]
                                and first.stats()["ready"] and second.stats()["ready"])
               else None, timeout_s=90, what="both workers to own partitions")
    # Step 2: publish stock for SKUs that land on every partition.
    events = [StockReceivedManually(event_id=f"two-{i}", merchant_sku=f"TWO-{i}",
                                    warehouse_id="WH-1", occurred_at=T0 + i, source="test",
                                    qty=i + 1) for i in range(16)]
    with StockEventPublisher(topics) as publisher:
        publisher.publish(events)
    expected = {sku: stock_view(state) for sku, state in fold(events).states.items()}

    # Step 3: both workers answer for all of them.
    def answers(worker) -> dict:
        return {sku: worker.get(f"/stock/{urllib.parse.quote(sku)}")[1] for sku in expected}

    for worker in (first, second):
        eventually(lambda w=worker: True if answers(w) == expected else None, timeout_s=90,
                   what=f"worker {worker.name} to answer for every SKU")
    assert {*first.stats()["assigned_partitions"], *second.stats()["assigned_partitions"]} == set(
        range(topics.partitions))
