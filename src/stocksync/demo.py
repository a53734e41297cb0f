"""The embedded demo: local broker, the simulated marketplace, one worker, two stores and a
rule, a small stock scenario and a burst of orders; it prints the stock, the sync records (the
Sync Recording columns) and what the marketplace shows.

Each run gets a namespace of its own (topic prefix and application id `demo-<run>`), after the
topics of earlier runs are deleted, so that every run starts from nothing and prints the same.
"""

from __future__ import annotations

import click

import time
import uuid
from decimal import Decimal

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import (
    MappingAction,
    MappingChanged,
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
    PushNowRequested,
)
from stocksync.domain.sync import ConnectorSettings, Store, SyncRecord, SyncRule
from stocksync.domain.push import listed_quantity
from stocksync.domain.stock import SkuStock, fold, stock_view
from stocksync.publisher import StockEventPublisher
from stocksync.projections.sync_history import read_sync_records
from stocksync.render import render_stock, render_table
from stocksync.settings import Settings
from stocksync.topic_admin import create_topics
from stocksync.worker_process import MarketplaceProcess, WorkerProcess, eventually

DEMO_PREFIX = "demo-"
APPLE = "DEMO-APPLE"
PEAR = "DEMO-PEAR"
# Event time of the scenario's first event: its events are a second apart, ending about now.
START_MS = int(time.time() * 1000) - 300_000


def _envelope(n: int, sku: str, warehouse: str) -> dict[str, object]:
    return {"event_id": f"demo-{n:04d}", "merchant_sku": sku, "warehouse_id": warehouse,
            "occurred_at": START_MS + n * 1000, "source": "demo"}


STORES = (("shopee-main", "Shopee Main", "shopee"), ("lazada-1", "Lazada Store", "lazada"))
RULE = SyncRule("main", frozenset({"WH-1", "WH-2"}), frozenset(s[0] for s in STORES),
                percent=Decimal(90))


def scenario() -> list[tuple[str, list[StockEvent]]]:
    """The Sumtracker example, then a second warehouse, a transfer, a PO and a count."""
    return [
        ("both SKUs are listed in both stores",
         [MappingChanged(**_envelope(100 + i, sku, "WH-1"), store_id=store_id,
                         store_sku=f"{store_id}:{sku}", action=MappingAction.ADD)
          for i, (sku, (store_id, _, _)) in enumerate(
              (sku, store) for sku in (APPLE, PEAR) for store in STORES)]),
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
        ("a flash sale: 30 orders of 1 apple within a second (one push per listing)",
         [OrderSynced(**_envelope(200 + i, APPLE, "WH-1"), order_id=f"FS-{i}",
                      store_id="shopee-main", qty=1, order_status=OrderStatus.NEW)
          for i in range(30)]),
    ]


def run_demo(settings: Settings) -> int:
    from stocksync.local_kafka import LocalBroker

    broker = LocalBroker.from_bootstrap(settings.home, settings.kafka_bootstrap_servers)
    click.echo(f"starting the local Kafka broker at {broker.bootstrap} ...")
    broker.start()
    settings = _fresh_namespace(settings)
    create_topics(settings)
    marketplace = _start_marketplace(settings)
    worker = WorkerProcess("demo", settings, log_path=settings.home / "demo-worker.log")
    try:
        _configure(settings, marketplace.url)
        click.echo(f"starting a worker (HTTP {settings.web_url}, log {worker.log_path}) ...")
        worker.start()
        worker.wait_until_serving()
        published = _play(settings, worker)
        _push_now(settings, marketplace.url, fold(published).states)
        _print_history(settings, marketplace.url)
    finally:
        worker.stop()
        marketplace.stop()
    click.echo(f"\nThe broker keeps running at {broker.bootstrap}. To query this run's stock:\n"
               f"  STOCKSYNC_TOPIC_PREFIX={settings.topic_prefix} "
               f"STOCKSYNC_APP_ID={settings.app_id} stocksync worker &\n"
               f"  stocksync stock {APPLE}\n`stocksync kafka stop` stops the broker.")
    return 0


def _fresh_namespace(settings: Settings) -> Settings:
    """A new topic prefix and application id for this run; earlier runs' topics are deleted."""
    import shutil

    from stocksync.topic_admin import admin_client

    admin = admin_client(settings)
    try:
        old = [t for t in admin.list_topics()
               if t.startswith(DEMO_PREFIX) or t.startswith(f"stocksync-{DEMO_PREFIX}")]
        if old:
            admin.delete_topics(old)
    finally:
        admin.close()
    shutil.rmtree(settings.home / "demo-state", ignore_errors=True)
    run = time.strftime("%Y%m%d%H%M%S", time.gmtime())
    return settings.with_overrides(topic_prefix=f"{DEMO_PREFIX}{run}.",
                                   app_id=f"stocksync-{DEMO_PREFIX}{run}",
                                   data_dir=settings.home / "demo-state" / run)


def _start_marketplace(settings: Settings) -> MarketplaceProcess:
    marketplace = MarketplaceProcess(settings.home / "demo-marketplace.log")
    click.echo(f"starting the simulated marketplace at {marketplace.url} ...")
    marketplace.start()
    return marketplace


def _configure(settings: Settings, marketplace_url: str) -> None:
    """Two stores on the simulated marketplace, and one rule: 90 % of WH-1 + WH-2."""
    writer = ConfigWriter(settings)
    for store_id, nickname, marketplace in STORES:
        writer.put_store(Store(store_id, nickname, marketplace, ConnectorSettings(
            "simulated", (("base_url", marketplace_url),), requests_per_second=20.0)))
    writer.put_rule(RULE)
    click.echo("configured stores shopee-main, lazada-1 and rule main (90 % of WH-1 + WH-2)")


def _play(settings: Settings, worker: WorkerProcess) -> list[StockEvent]:
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
    click.echo(f"\nworker counters: applied {stats['applied']}, rejected {stats['rejected']}, "
               f"dead-lettered {stats['dead_lettered']}")
    return published


def _stock_if(worker: WorkerProcess, sku: str, want: dict[str, object]) -> dict[str, object] | None:
    from urllib.parse import quote

    status, body = worker.get(f"/stock/{quote(sku, safe='')}")
    return body if status == 200 and body == want else None


def _push_now(settings: Settings, marketplace_url: str, stocks: dict[str, SkuStock]) -> None:
    """Push the current quantities now (a new event id each run), and wait until shown."""
    run = uuid.uuid4().hex[:8]
    with StockEventPublisher(settings) as publisher:
        publisher.publish([PushNowRequested(event_id=f"demo-push-{run}-{sku}", merchant_sku=sku,
                                            warehouse_id="WH-1",
                                            occurred_at=int(time.time() * 1000), source="demo")
                           for sku in (APPLE, PEAR)])
    expected = {f"{store_id}:{sku}": listed_quantity(RULE, stocks[sku], store_id)
                for store_id, _, _ in STORES for sku in (APPLE, PEAR)}
    eventually(lambda: True if _shown(marketplace_url) == expected else None, timeout_s=60,
               what="the marketplace to show every listing")


def _shown(marketplace_url: str) -> dict[str, int]:
    import json
    import urllib.request

    shown: dict[str, int] = {}
    for store_id, _, _ in STORES:
        with urllib.request.urlopen(f"{marketplace_url}/stores/{store_id}/listings",
                                    timeout=10) as response:
            shown.update(json.loads(response.read())["listings"])
    return shown


def _print_history(settings: Settings, marketplace_url: str) -> None:
    time.sleep(1.5)  # let the last outcomes land in the history
    records = sorted((r for r in read_sync_records(settings).values()
                      if r.merchant_sku in (APPLE, PEAR)),
                     key=lambda r: (r.log_time, r.cause.partition, r.cause.offset, r.store_id))
    counts: dict[str, int] = {}
    for record in records:
        counts[record.status.value] = counts.get(record.status.value, 0) + 1
    click.echo(f"\n== sync records: {len(records)} "
               f"({', '.join(f'{n} {s}' for s, n in sorted(counts.items()))}); the latest 12:")
    click.echo(render_table(
        ("ID", "Sync Time", "Marketplace", "Store Nickname", "Store SKU", "Warehouse", "Before",
         "Movement", "After", "Rule", "Reason", "Status"),
        [_row(r) for r in records[-12:]]))
    click.echo("\n== the marketplace shows")
    click.echo(render_table(("Store SKU", "Quantity"), sorted(_shown(marketplace_url).items())))


def _row(record: SyncRecord) -> tuple[object, ...]:
    sync_time = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record.sync_time / 1000))
    status = record.status.value.title()
    if record.failure_code:
        status += f" ({record.failure_code.value})"
    return (record.record_id[:10], sync_time, record.marketplace, record.store_nickname,
            record.store_sku, record.warehouse_id or "-", record.before_qty, record.movement,
            record.after_qty, record.rule_name, record.reason.value, status)
