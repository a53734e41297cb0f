"""Hypothesis strategies: short logs of random stock events over few SKUs, warehouses, orders,
stores and purchase orders, so that events collide (same order voided twice, shipped after a
cancel, ...). Times mostly move forward by a few ms and sometimes step back."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from stocksync.domain.events import (
    InventoryRefreshRequested,
    MappingAction,
    MappingChanged,
    OrderMovedToPack,
    OrderStatus,
    OrderSynced,
    OrderVoided,
    PromotionReserveSet,
    PurchaseOrderPlaced,
    PurchaseReceived,
    PushNowRequested,
    Reason,
    ReturnReceivedManually,
    ReturnScanned,
    SaleShipped,
    StockCounted,
    StockEvent,
    StockReceivedManually,
    StockRemovedManually,
    TransferReceived,
    TransferShipped,
    VoidedOrderReverted,
    WarehouseChanged,
)
from stocksync.domain.sync import Cause, FailureCode, SyncRecord, SyncStatus

WAREHOUSES = ("W1", "W2")
RETENTION_MS = 60  # short, so that closed orders get pruned within one log

warehouses = st.sampled_from(WAREHOUSES)
order_ids = st.sampled_from(("O1", "O2", "O3"))
stores = st.sampled_from(("S1", "S2"))
po_ids = st.sampled_from(("PO1", "PO2"))
quantities = st.integers(min_value=-1, max_value=8)  # one in five cannot move units
statuses = st.sampled_from((OrderStatus.NEW, OrderStatus.NEW, OrderStatus.CANCELLED))

EventDraft = Callable[..., StockEvent]  # an event missing its envelope


def _draft(
    event_type: type[StockEvent], **fields: st.SearchStrategy[Any]
) -> st.SearchStrategy[EventDraft]:
    return st.builds(functools.partial, st.just(event_type), **fields)


order_drafts = (
    _draft(OrderSynced, order_id=order_ids, store_id=stores, qty=quantities, order_status=statuses),
    _draft(SaleShipped, qty=quantities, order_id=order_ids),
    _draft(OrderVoided, order_id=order_ids),
    _draft(VoidedOrderReverted, order_id=order_ids),
    _draft(WarehouseChanged, order_id=order_ids, to_warehouse=warehouses),
    _draft(OrderMovedToPack, order_id=order_ids, qty=quantities),
)
stock_in_drafts = (
    _draft(StockReceivedManually, qty=quantities),
    _draft(ReturnScanned, qty=quantities, order_id=order_ids),
    _draft(ReturnReceivedManually, qty=quantities, order_id=st.none() | order_ids),
    _draft(TransferReceived, qty=quantities, transfer_id=st.just("T1"), from_warehouse=warehouses),
    _draft(PurchaseReceived, qty=quantities, po_id=po_ids),
)
other_drafts = (
    _draft(StockRemovedManually, qty=quantities),
    _draft(SaleShipped, qty=quantities, order_id=st.none()),
    _draft(TransferShipped, qty=quantities, transfer_id=st.just("T1"), to_warehouse=warehouses),
    _draft(MappingChanged, store_id=stores, store_sku=st.sampled_from(("a", "b")),
           action=st.sampled_from(MappingAction)),
    _draft(InventoryRefreshRequested),
    _draft(PushNowRequested, store_ids=st.lists(stores, max_size=2).map(tuple)),
    _draft(StockCounted, counted_qty=quantities),
    _draft(PurchaseOrderPlaced, po_id=po_ids, qty=quantities),
    _draft(PromotionReserveSet, store_id=stores, qty=quantities),
)
# Orders weigh most: their collisions (void after ship, revert of a booked order, ...) matter.
weighted_drafts = (*order_drafts, *order_drafts, *order_drafts, *stock_in_drafts, *other_drafts)
skus = st.sampled_from(("APPLE", "APPLE", "APPLE", "PEAR"))


@st.composite
def event_logs(draw: st.DrawFn, max_size: int = 40) -> list[StockEvent]:
    """A log of distinct events (event ids e0, e1, ...) in log order."""
    log: list[StockEvent] = []
    at = 0
    for number in range(draw(st.integers(min_value=0, max_value=max_size))):
        draft = draw(draw(st.sampled_from(weighted_drafts)))
        at = max(0, at + draw(st.integers(min_value=-5, max_value=20)))
        log.append(draft(event_id=f"e{number}", merchant_sku=draw(skus),
                         warehouse_id=draw(warehouses), occurred_at=at, source="hypothesis"))
    return log


# Sync records with every field drawn, for codecs.
LONGS = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
TEXT = st.text(max_size=300)  # lengths on both sides of one varint byte (63 / 64)

sync_records = st.builds(
    SyncRecord,
    record_id=TEXT, sync_time=LONGS, log_time=LONGS, marketplace=TEXT, store_id=TEXT,
    store_nickname=TEXT, store_sku=TEXT, merchant_sku=TEXT, warehouse_id=TEXT,
    before_qty=LONGS, movement=LONGS, after_qty=LONGS, rule_name=TEXT,
    reason=st.sampled_from(Reason),
    cause=st.builds(Cause, event_id=TEXT, topic=TEXT,
                    partition=st.integers(min_value=-(1 << 31), max_value=(1 << 31) - 1),
                    offset=LONGS),
    status=st.sampled_from(SyncStatus), superseded_by=st.none() | TEXT,
    failure_code=st.none() | st.sampled_from(FailureCode),
    failure_message=st.none() | TEXT, title=st.none() | TEXT,
)
