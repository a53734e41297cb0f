"""Short constructors for the push domain in tests: stores, rules over W1, configs, causes and
stocks of SKU APPLE."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stocksync.domain.events import Reason, StockEvent
from stocksync.domain.stock import SkuStock
from stocksync.domain.sync import Cause, Store, SyncRecord, SyncRule
from stocksync.domain.sync_config import SyncConfig

from .builders import SKU, W1, applied, mapping, received_manually, reserve_set

TOPIC = "stock-events"


def store(store_id: str, marketplace: str = "shopee") -> Store:
    return Store(store_id, nickname=f"{store_id} shop", marketplace=marketplace)


def rule(
    name: str = "R1",
    warehouses: tuple[str, ...] = (W1,),
    stores: tuple[str, ...] = ("S1",),
    percent: int | str | Decimal = 100,
    **options: Any,
) -> SyncRule:
    return SyncRule(name, frozenset(warehouses), frozenset(stores), Decimal(percent), **options)


def config(*rules: SyncRule, stores: tuple[str, ...] | None = None) -> SyncConfig:
    """The rules, and the given stores (by default every store some rule pushes to)."""
    store_ids = stores if stores is not None else sorted({s for r in rules for s in r.store_ids})
    return SyncConfig({r.name: r for r in rules}, {s: store(s) for s in store_ids})


def cause(event: StockEvent, offset: int = 0) -> Cause:
    return Cause(event.event_id, TOPIC, 0, offset)


def stock(
    *,
    mapped: tuple[tuple[str, str], ...] = (),
    reserves: dict[str, int] | None = None,
    **in_stock: int,
) -> SkuStock:
    """APPLE with `in_stock` units per warehouse (W1=159, ...), the `mapped` listings
    ((store_id, store_sku), ...), then the promotion reserves {store_id: units} set in W1 (each
    lowers W1's available)."""
    events: list[StockEvent] = [received_manually(q, wh=wh) for wh, q in in_stock.items() if q]
    events += [mapping(store_id, store_sku) for store_id, store_sku in mapped]
    events += [reserve_set(store_id, qty) for store_id, qty in (reserves or {}).items()]
    return applied(*events, state=SkuStock.empty(SKU))


def record(
    n: int, log_time: int, after_qty: int = 0, store_sku: str = "a1", sku: str = SKU
) -> SyncRecord:
    """Record r<n> of listing (S1, store_sku), triggered by event e<n>."""
    return SyncRecord(
        record_id=f"r{n}", sync_time=log_time, log_time=log_time, marketplace="shopee",
        store_id="S1", store_nickname="S1 shop", store_sku=store_sku, merchant_sku=sku,
        warehouse_id=W1, before_qty=0, movement=0, after_qty=after_qty, rule_name="R1",
        reason=Reason.STOCK_IN_MANUAL, cause=Cause(f"e{n}", "stock-events", 0, n),
    )  # fmt: skip
