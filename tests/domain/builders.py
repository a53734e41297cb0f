"""Short constructors for stock events in tests: SKU APPLE in warehouse W1 at time 0 unless told."""

from __future__ import annotations

import itertools
from typing import Any

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
from stocksync.domain.stock import Rejected, RejectionReason, SkuStock, apply

SKU = "APPLE"
W1, W2 = "W1", "W2"
DAY_MS = 24 * 60 * 60 * 1000

_event_ids = itertools.count(1)


def envelope(
    wh: str = W1, at: int = 0, sku: str = SKU, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "event_id": event_id or f"e{next(_event_ids)}",
        "merchant_sku": sku,
        "warehouse_id": wh,
        "occurred_at": at,
        "source": "test",
    }


def new_order(order_id: str, qty: int, **env: Any) -> OrderSynced:
    return OrderSynced(**envelope(**env), order_id=order_id, store_id="S1", qty=qty,
                       order_status=OrderStatus.NEW)


def cancelled_order(order_id: str, qty: int = 1, **env: Any) -> OrderSynced:
    return OrderSynced(**envelope(**env), order_id=order_id, store_id="S1", qty=qty,
                       order_status=OrderStatus.CANCELLED)


def received_manually(qty: int, **env: Any) -> StockReceivedManually:
    return StockReceivedManually(**envelope(**env), qty=qty, note="found a box")


def return_scanned(qty: int, order_id: str = "R1", **env: Any) -> ReturnScanned:
    return ReturnScanned(**envelope(**env), qty=qty, order_id=order_id)


def return_received(qty: int, order_id: str | None = None, **env: Any) -> ReturnReceivedManually:
    return ReturnReceivedManually(**envelope(**env), qty=qty, order_id=order_id)


def transfer_received(qty: int, from_warehouse: str = "W9", **env: Any) -> TransferReceived:
    return TransferReceived(**envelope(**env), qty=qty, transfer_id="T1",
                            from_warehouse=from_warehouse)


def purchase_received(qty: int, po_id: str = "PO1", **env: Any) -> PurchaseReceived:
    return PurchaseReceived(**envelope(**env), qty=qty, po_id=po_id)


def removed_manually(qty: int, **env: Any) -> StockRemovedManually:
    return StockRemovedManually(**envelope(**env), qty=qty, note="damaged")


def sale(qty: int, order_id: str | None = None, **env: Any) -> SaleShipped:
    return SaleShipped(**envelope(**env), qty=qty, order_id=order_id)


def transfer_shipped(qty: int, to_warehouse: str = "W9", **env: Any) -> TransferShipped:
    return TransferShipped(**envelope(**env), qty=qty, transfer_id="T1", to_warehouse=to_warehouse)


def voided(order_id: str, **env: Any) -> OrderVoided:
    return OrderVoided(**envelope(**env), order_id=order_id)


def void_reverted(order_id: str, **env: Any) -> VoidedOrderReverted:
    return VoidedOrderReverted(**envelope(**env), order_id=order_id)


def mapping(store_id: str, store_sku: str, action: MappingAction = MappingAction.ADD,
            **env: Any) -> MappingChanged:
    return MappingChanged(**envelope(**env), store_id=store_id, store_sku=store_sku, action=action)


def warehouse_changed(order_id: str, to_warehouse: str, **env: Any) -> WarehouseChanged:
    return WarehouseChanged(**envelope(**env), order_id=order_id, to_warehouse=to_warehouse)


def moved_to_pack(order_id: str, qty: int, **env: Any) -> OrderMovedToPack:
    return OrderMovedToPack(**envelope(**env), order_id=order_id, qty=qty)


def refresh(**env: Any) -> InventoryRefreshRequested:
    return InventoryRefreshRequested(**envelope(**env))


def push_now(*store_ids: str, **env: Any) -> PushNowRequested:
    return PushNowRequested(**envelope(**env), store_ids=store_ids)


def counted(qty: int, **env: Any) -> StockCounted:
    return StockCounted(**envelope(**env), counted_qty=qty)


def po_placed(po_id: str, qty: int, **env: Any) -> PurchaseOrderPlaced:
    return PurchaseOrderPlaced(**envelope(**env), po_id=po_id, qty=qty)


def reserve_set(store_id: str, qty: int, **env: Any) -> PromotionReserveSet:
    return PromotionReserveSet(**envelope(**env), store_id=store_id, qty=qty)


def applied(*events: StockEvent, state: SkuStock | None = None, **options: Any) -> SkuStock:
    """The state after `events`, each of which must apply."""
    state = state or SkuStock.empty(SKU)
    for event in events:
        outcome = apply(state, event, **options)
        assert not isinstance(outcome, Rejected), (event, outcome)
        state = outcome
    return state


def rejection(state: SkuStock, event: StockEvent, **options: Any) -> RejectionReason:
    """Why `event` does not apply to `state` (it must not)."""
    outcome = apply(state, event, **options)
    assert isinstance(outcome, Rejected), (event, outcome)
    return outcome.reason
