"""`apply`: how one stock event changes the stock of its merchant SKU (PRODUCT.md §2).

One handler per event type, each a pure function (state, event) -> new state | Rejected. A handler
that rejects leaves nothing behind: the caller keeps the state it had. "Applied, nothing changed"
returns the very same state object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
from stocksync.domain.orders import Order, OrderBook, OrderState
from stocksync.domain.rejections import Rejected, RejectionReason
from stocksync.domain.sku_stock import NO_STOCK, SkuStock, WarehouseStock

DEFAULT_CLOSED_ORDER_RETENTION_MS = 30 * 24 * 60 * 60 * 1000  # 30 days

Outcome = SkuStock | Rejected
BOOKED = OrderState.BOOKED
CANCELLED = OrderState.CANCELLED
SHIPPED = OrderState.SHIPPED
VOID = OrderState.VOID


def apply(
    state: SkuStock,
    event: StockEvent,
    *,
    closed_order_retention_ms: int = DEFAULT_CLOSED_ORDER_RETENTION_MS,
) -> Outcome:
    """The state after `event`, or why it cannot apply (then the caller keeps `state`).

    Orders closed more than `closed_order_retention_ms` before the event's time are forgotten
    first; later events for them are UNKNOWN_ORDER. Only event time counts, never the clock.
    """
    if event.merchant_sku != state.merchant_sku:
        return Rejected(
            RejectionReason.WRONG_SKU,
            f"event for {event.merchant_sku!r} applied to {state.merchant_sku!r}",
        )
    orders = state.orders.pruned(event.occurred_at - closed_order_retention_ms)
    if orders is not state.orders:
        state = _evolve(state, orders=orders)
    try:
        handler = _HANDLERS[type(event)]
    except KeyError:
        raise TypeError(f"not a stock event: {type(event).__name__}") from None
    outcome = handler(state, event)
    if isinstance(outcome, SkuStock):
        return _within_range(state, outcome)
    return outcome


# A warehouse never holds, books, reserves or expects more units than this: sums over a SKU's
# warehouses and the records built from them stay far inside Avro's long (2**63).
MAX_QTY = 10**15


def _within_range(before: SkuStock, after: SkuStock) -> Outcome:
    for warehouse_id, stock in after.warehouses.items():
        if stock is before.warehouses.get(warehouse_id):
            continue
        for name in ("in_stock", "booked", "reserved", "incoming"):
            if abs(getattr(stock, name)) > MAX_QTY:
                return Rejected(RejectionReason.QUANTITY_OUT_OF_RANGE,
                                f"{name} of {warehouse_id} would be {getattr(stock, name)}, "
                                f"beyond ±{MAX_QTY}")
    return after


# -- orders ------------------------------------------------------------------------------------


def _sync_order(state: SkuStock, event: OrderSynced) -> Outcome:
    if event.order_status == OrderStatus.NEW:
        return _book_new(state, event.order_id, event.qty, event.warehouse_id)
    return _close(state, event.order_id, CANCELLED, event.occurred_at)


def _book_new(state: SkuStock, order_id: str, qty: int, warehouse_id: str) -> Outcome:
    if qty <= 0:
        return _non_positive(qty)
    order = state.orders.get(order_id)
    if order is not None:
        return _refused(order_id, order, BOOKED)
    return _booked(state, order_id, Order(warehouse_id, qty, BOOKED))


def _void(state: SkuStock, event: OrderVoided) -> Outcome:
    return _close(state, event.order_id, VOID, event.occurred_at)


def _revert_void(state: SkuStock, event: VoidedOrderReverted) -> Outcome:
    order = state.orders.get(event.order_id)
    if order is None:
        return _unknown(event.order_id)
    if order.state is not VOID:
        return _rejected(RejectionReason.ORDER_NOT_VOID, event.order_id, order)
    return _booked(state, event.order_id, Order(order.warehouse_id, order.qty, BOOKED))


def _change_warehouse(state: SkuStock, event: WarehouseChanged) -> Outcome:
    order = state.orders.get(event.order_id)
    if order is None:
        return _unknown(event.order_id)
    if order.state is not BOOKED:
        return _rejected(RejectionReason.ORDER_NOT_BOOKED, event.order_id, order)
    if order.warehouse_id == event.to_warehouse:
        return Rejected(
            RejectionReason.SAME_WAREHOUSE,
            f"order {event.order_id!r} is already booked in {event.to_warehouse!r}",
        )
    warehouses = _adjusted(state.warehouses, order.warehouse_id, booked=-order.qty)
    warehouses = _adjusted(warehouses, event.to_warehouse, booked=order.qty)
    moved = Order(event.to_warehouse, order.qty, BOOKED)
    return _evolve(state, warehouses=warehouses, orders=state.orders.set(event.order_id, moved))


def _move_to_pack(state: SkuStock, event: OrderMovedToPack) -> Outcome:
    if event.qty <= 0:
        return _non_positive(event.qty)
    order = state.orders.get(event.order_id)
    if order is None:
        return _booked(state, event.order_id, Order(event.warehouse_id, event.qty, BOOKED))
    if order.state is BOOKED:
        return state  # packing a booked order is the normal workflow: nothing more to book
    return _refused(event.order_id, order, BOOKED)


def _close(state: SkuStock, order_id: str, closing: OrderState, at: int) -> Outcome:
    order = state.orders.get(order_id)
    if order is None:
        return _unknown(order_id)
    if order.state is not BOOKED:
        return _refused(order_id, order, closing)
    return _released(state, order_id, order, closing, at)


def _booked(state: SkuStock, order_id: str, order: Order) -> SkuStock:
    warehouses = _adjusted(state.warehouses, order.warehouse_id, booked=order.qty)
    return _evolve(state, warehouses=warehouses, orders=state.orders.set(order_id, order))


def _released(
    state: SkuStock, order_id: str, order: Order, closing: OrderState, at: int
) -> SkuStock:
    warehouses = _adjusted(state.warehouses, order.warehouse_id, booked=-order.qty)
    closed = Order(order.warehouse_id, order.qty, closing, at)
    return _evolve(state, warehouses=warehouses, orders=state.orders.set(order_id, closed))


# -- stock movements ---------------------------------------------------------------------------


def _stock_in(
    state: SkuStock,
    event: StockReceivedManually | ReturnScanned | ReturnReceivedManually | TransferReceived,
) -> Outcome:
    if event.qty <= 0:
        return _non_positive(event.qty)
    warehouses = _adjusted(state.warehouses, event.warehouse_id, in_stock=event.qty)
    return _evolve(state, warehouses=warehouses)


def _receive_purchase(state: SkuStock, event: PurchaseReceived) -> Outcome:
    if event.qty <= 0:
        return _non_positive(event.qty)
    key = (event.warehouse_id, event.po_id)
    remaining = state.purchase_orders.get(key, 0)
    received = min(event.qty, remaining)
    warehouses = _adjusted(
        state.warehouses, event.warehouse_id, in_stock=event.qty, incoming=-received
    )
    if received == 0:
        return _evolve(state, warehouses=warehouses)  # an unknown PO still stocks in
    purchase_orders = _with_amount(state.purchase_orders, key, remaining - received)
    return _evolve(state, warehouses=warehouses, purchase_orders=purchase_orders)


def _stock_out(
    state: SkuStock, event: StockRemovedManually | SaleShipped | TransferShipped
) -> Outcome:
    if event.qty <= 0:
        return _non_positive(event.qty)
    shortage = _shortage(state, event.warehouse_id, event.qty)
    if shortage is not None:
        return shortage
    warehouses = _adjusted(state.warehouses, event.warehouse_id, in_stock=-event.qty)
    return _evolve(state, warehouses=warehouses)


def _ship_sale(state: SkuStock, event: SaleShipped) -> Outcome:
    """A sale; with an order_id it also fulfils that order, at most once."""
    if event.qty <= 0 or event.order_id is None:
        return _stock_out(state, event)  # rejected, or a plain stock-out
    order = state.orders.get(event.order_id)
    if order is not None and order.state is not BOOKED:
        return _refused(event.order_id, order, SHIPPED)
    shortage = _shortage(state, event.warehouse_id, event.qty)
    if shortage is not None:
        return shortage
    warehouses = _adjusted(state.warehouses, event.warehouse_id, in_stock=-event.qty)
    if order is not None:
        warehouses = _adjusted(warehouses, order.warehouse_id, booked=-order.qty)
        shipped = Order(order.warehouse_id, order.qty, SHIPPED, event.occurred_at)
    else:  # recorded as shipped, so that a late "new" for it cannot book it
        shipped = Order(event.warehouse_id, event.qty, SHIPPED, event.occurred_at)
    return _evolve(state, warehouses=warehouses, orders=state.orders.set(event.order_id, shipped))


def _shortage(state: SkuStock, warehouse_id: str, qty: int) -> Rejected | None:
    in_stock = state.warehouse(warehouse_id).in_stock
    if qty <= in_stock:
        return None
    return Rejected(
        RejectionReason.INSUFFICIENT_STOCK, f"{qty} out of {warehouse_id!r} holding {in_stock}"
    )


def _count(state: SkuStock, event: StockCounted) -> Outcome:
    if event.counted_qty < 0:
        return Rejected(RejectionReason.NEGATIVE_COUNT, f"counted {event.counted_qty}")
    stock = state.warehouses.get(event.warehouse_id)
    if stock is not None and stock.in_stock == event.counted_qty:
        return state
    change = event.counted_qty - (stock or NO_STOCK).in_stock
    warehouses = _adjusted(state.warehouses, event.warehouse_id, in_stock=change)
    return _evolve(state, warehouses=warehouses)


# -- purchase orders, promotion reserves, mappings, pushes ---------------------------------------


def _place_purchase_order(state: SkuStock, event: PurchaseOrderPlaced) -> Outcome:
    if event.qty <= 0:
        return _non_positive(event.qty)
    key = (event.warehouse_id, event.po_id)
    if key in state.purchase_orders:
        return Rejected(
            RejectionReason.PURCHASE_ORDER_EXISTS,
            f"purchase order {event.po_id!r} is already open in {event.warehouse_id!r}",
        )
    warehouses = _adjusted(state.warehouses, event.warehouse_id, incoming=event.qty)
    purchase_orders = {**state.purchase_orders, key: event.qty}
    return _evolve(state, warehouses=warehouses, purchase_orders=purchase_orders)


def _set_promotion_reserve(state: SkuStock, event: PromotionReserveSet) -> Outcome:
    if event.qty < 0:
        return Rejected(RejectionReason.NEGATIVE_RESERVE, f"reserve of {event.qty}")
    key = (event.warehouse_id, event.store_id)
    change = event.qty - state.promotion_reserves.get(key, 0)
    if change == 0:
        return state
    warehouses = _adjusted(state.warehouses, event.warehouse_id, reserved=change)
    reserves = _with_amount(state.promotion_reserves, key, event.qty)
    return _evolve(state, warehouses=warehouses, promotion_reserves=reserves)


def _change_mapping(state: SkuStock, event: MappingChanged) -> Outcome:
    listing = (event.store_id, event.store_sku)
    if event.action == MappingAction.ADD:
        if listing in state.mappings:
            return state  # applies all the same: the listing is pushed again
        return _evolve(state, mappings=state.mappings | {listing})
    if listing not in state.mappings:
        return Rejected(
            RejectionReason.MAPPING_NOT_FOUND,
            f"{event.store_sku!r} of store {event.store_id!r} is not mapped",
        )
    return _evolve(state, mappings=state.mappings - {listing})


def _unchanged(state: SkuStock, event: InventoryRefreshRequested | PushNowRequested) -> Outcome:
    return state


# -- helpers -----------------------------------------------------------------------------------


def _evolve(
    state: SkuStock,
    *,
    warehouses: Mapping[str, WarehouseStock] | None = None,
    orders: OrderBook | None = None,
    purchase_orders: Mapping[tuple[str, str], int] | None = None,
    promotion_reserves: Mapping[tuple[str, str], int] | None = None,
    mappings: frozenset[tuple[str, str]] | None = None,
) -> SkuStock:
    return SkuStock(
        state.merchant_sku,
        state.warehouses if warehouses is None else warehouses,
        state.orders if orders is None else orders,
        state.purchase_orders if purchase_orders is None else purchase_orders,
        state.promotion_reserves if promotion_reserves is None else promotion_reserves,
        state.mappings if mappings is None else mappings,
    )


def _adjusted(
    warehouses: Mapping[str, WarehouseStock],
    warehouse_id: str,
    *,
    in_stock: int = 0,
    booked: int = 0,
    reserved: int = 0,
    incoming: int = 0,
) -> dict[str, WarehouseStock]:
    """A copy of `warehouses` with the counters of one warehouse moved by the given amounts."""
    old = warehouses.get(warehouse_id, NO_STOCK)
    new = WarehouseStock(
        old.in_stock + in_stock,
        old.booked + booked,
        old.reserved + reserved,
        old.incoming + incoming,
    )
    return {**warehouses, warehouse_id: new}


def _with_amount(
    amounts: Mapping[tuple[str, str], int], key: tuple[str, str], amount: int
) -> dict[tuple[str, str], int]:
    """A copy of `amounts` with `key` set to `amount`; 0 removes it."""
    if amount:
        return {**amounts, key: amount}
    return {k: v for k, v in amounts.items() if k != key}


def _refused(order_id: str, order: Order, attempted: OrderState) -> Rejected:
    """Why an order in `order.state` cannot move to `attempted`."""
    if order.state is attempted:
        return _rejected(_ALREADY[attempted], order_id, order)
    if order.state is SHIPPED:
        return _rejected(RejectionReason.ORDER_ALREADY_SHIPPED, order_id, order)
    return _rejected(RejectionReason.ORDER_CLOSED, order_id, order)


_ALREADY = {
    BOOKED: RejectionReason.ORDER_ALREADY_BOOKED,
    CANCELLED: RejectionReason.ORDER_ALREADY_CANCELLED,
    SHIPPED: RejectionReason.ORDER_ALREADY_SHIPPED,
    VOID: RejectionReason.ORDER_ALREADY_VOID,
}


def _rejected(reason: RejectionReason, order_id: str, order: Order) -> Rejected:
    return Rejected(reason, f"order {order_id!r} is {order.state.value} in {order.warehouse_id!r}")


def _unknown(order_id: str) -> Rejected:
    return Rejected(RejectionReason.UNKNOWN_ORDER, f"order {order_id!r} is unknown")


def _non_positive(qty: int) -> Rejected:
    return Rejected(RejectionReason.NON_POSITIVE_QUANTITY, f"qty {qty} is not positive")


_HANDLERS: dict[type[StockEvent], Callable[[SkuStock, Any], Outcome]] = {
    OrderSynced: _sync_order,
    StockReceivedManually: _stock_in,
    ReturnScanned: _stock_in,
    ReturnReceivedManually: _stock_in,
    TransferReceived: _stock_in,
    PurchaseReceived: _receive_purchase,
    StockRemovedManually: _stock_out,
    SaleShipped: _ship_sale,
    TransferShipped: _stock_out,
    OrderVoided: _void,
    VoidedOrderReverted: _revert_void,
    MappingChanged: _change_mapping,
    WarehouseChanged: _change_warehouse,
    OrderMovedToPack: _move_to_pack,
    InventoryRefreshRequested: _unchanged,
    PushNowRequested: _unchanged,
    StockCounted: _count,
    PurchaseOrderPlaced: _place_purchase_order,
    PromotionReserveSet: _set_promotion_reserve,
}
