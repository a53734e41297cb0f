"""The embedded demo: local broker, one worker, a small scenario, the resulting stock printed.

Event ids are fixed, so running the demo again publishes duplicates that the worker rejects:
the stock it prints stays the same.
"""

from __future__ import annotations

import click

from stocksync.domain.events import (
    OrderSynced,
    OrderVoided,
    PurchaseOrderPlaced,
    PurchaseReceived,
    SaleShipped,
    StockCounted,
    StockEvent,
    StockReceivedManually,
    TransferReceived,
    TransferShipped,
    VoidedOrderReverted,
    OrderStatus,
)
from stocksync.domain.stock import fold, stock_view
from stocksync.publisher import StockEventPublisher
from stocksync.render import render_stock
from stocksync.settings import Settings
from stocksync.topic_admin import create_topics
from stocksync.worker_process import WorkerProcess, eventually

APPLE = "DEMO-APPLE"
PEAR = "DEMO-PEAR"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def _envelope(n: int, sku: str, warehouse: str) -> dict[str, object]:
    return {"event_id": f"demo-{n:04d}", "merchant_sku": sku, "warehouse_id": warehouse,
            "occurred_at": T0 + n * 60_000, "source": "demo"}


def scenario() -> list[tuple[str, list[StockEvent]]]:
    """The Sumtracker example, then a second warehouse, a transfer, a PO and a count."""
    return [
        ("50 apples arrive in WH-1",
         [StockReceivedManually(**_envelope(1, APPLE, "WH-1"), qty=50, note="opening stock")]),
        ("an order for 4 apples: booked 4, available 46",
         [OrderSynced(**_envelope(2, APPLE, "WH-1"), order_id="SO-1001", store_id="shopee-main",
                      qty=4, order_status=OrderStatus.NEW)]),
        ("the order ships: in stock 46, booked 0, available 46",
         [SaleShipped(**_envelope(3, APPLE, "WH-1"), qty=4, order_id="SO-1001")]),
        ("10 apples move from WH-1 to WH-2",
         [TransferShipped(**_envelope(4, APPLE, "WH-1"), qty=10, transfer_id="TR-7",
                          to_warehouse="WH-2"),
          TransferReceived(**_envelope(5, APPLE, "WH-2"), qty=10, transfer_id="TR-7",
                           from_warehouse="WH-1")]),
        ("a purchase order of 100 pears, 60 received so far",
         [PurchaseOrderPlaced(**_envelope(6, PEAR, "WH-1"), po_id="PO-55", qty=100),
          PurchaseReceived(**_envelope(7, PEAR, "WH-1"), qty=60, po_id="PO-55")]),
        ("a pear order is voided, then the void is reverted",
         [OrderSynced(**_envelope(8, PEAR, "WH-1"), order_id="SO-1002", store_id="lazada-1",
                      qty=5, order_status=OrderStatus.NEW),
          OrderVoided(**_envelope(9, PEAR, "WH-1"), order_id="SO-1002"),
          VoidedOrderReverted(**_envelope(10, PEAR, "WH-1"), order_id="SO-1002")]),
        ("a stock count finds 35 apples in WH-1",
         [StockCounted(**_envelope(11, APPLE, "WH-1"), counted_qty=35)]),
    ]


def run_demo(settings: Settings) -> int:
    from stocksync.local_kafka import LocalBroker

    broker = LocalBroker.from_bootstrap(settings.home, settings.kafka_bootstrap_servers)
    click.echo(f"starting the local Kafka broker at {broker.bootstrap} ...")
    broker.start()
    create_topics(settings)
    worker = WorkerProcess("demo", settings, log_path=settings.home / "demo-worker.log")
    click.echo(f"starting a worker (HTTP {settings.web_url}, log {worker.log_path}) ...")
    worker.start()
    try:
        worker.wait_until_serving()
        _play(settings, worker)
    finally:
        worker.stop()
    click.echo(f"\nThe broker keeps running at {broker.bootstrap}. Next: `stocksync worker`, "
               f"then `stocksync stock {APPLE}`; `stocksync kafka stop` to stop the broker.")
    return 0


def _play(settings: Settings, worker: WorkerProcess) -> None:
    published: list[StockEvent] = []
    with StockEventPublisher(settings) as publisher:
        for title, events in scenario():
            publisher.publish(events)
            published += events
            expected = fold(published).states
            click.echo(f"\n== {title}")
            for sku in sorted({event.merchant_sku for event in events}):
                want = stock_view(expected[sku])
                live = eventually(lambda sku=sku, want=want: _stock_if(worker, sku, want),
                                  timeout_s=60, what=f"the worker to fold {sku}")
                click.echo(render_stock(live))
    stats = worker.stats()
    click.echo(f"\nworker counters: applied {stats['applied']}, rejected {stats['rejected']} "
               f"{stats['rejections_by_reason'] or ''}, dead-lettered {stats['dead_lettered']}")


def _stock_if(worker: WorkerProcess, sku: str, want: dict[str, object]) -> dict[str, object] | None:
    from urllib.parse import quote

    status, body = worker.get(f"/stock/{quote(sku, safe='')}")
    return body if status == 200 and body == want else None
