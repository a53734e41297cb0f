"""Anomalies: events that arrive twice, late or out of order never count anything twice."""

from stocksync.domain.events import StockReceivedManually
from stocksync.domain.stock import Order, OrderState, RejectionReason, WarehouseStock, fold

from .builders import (
    SKU,
    W1,
    W2,
    applied,
    cancelled_order,
    envelope,
    new_order,
    received_manually,
    rejection,
    sale,
    void_reverted,
    voided,
    warehouse_changed,
)


def test_a_void_after_the_shipment_is_rejected_and_changes_nothing() -> None:
    """Void of a shipped order is ORDER_ALREADY_SHIPPED: the booking is not released twice."""
    # 10 in stock, O1 of 3 booked and shipped
    state = applied(received_manually(10), new_order("O1", 3), sale(3, order_id="O1"))
    # O1 is voided after it shipped
    assert RejectionReason.ORDER_ALREADY_SHIPPED == rejection(state, voided("O1"))
    assert WarehouseStock(in_stock=7, booked=0) == state.warehouse(W1)


def test_a_second_cancel_is_rejected() -> None:
    """A repeated cancel is ORDER_ALREADY_CANCELLED: the booking was released once."""
    # O1 of 3 and O2 of 2 booked, O1 cancelled
    state = applied(new_order("O1", 3), new_order("O2", 2), cancelled_order("O1"))
    # O1 is cancelled again
    assert RejectionReason.ORDER_ALREADY_CANCELLED == rejection(state, cancelled_order("O1"))
    assert 2 == state.warehouse(W1).booked


def test_reverting_an_order_that_is_not_void_is_rejected() -> None:
    """Revert of a booked order is ORDER_NOT_VOID: it is not booked twice."""
    # O1 of 3 booked
    state = applied(new_order("O1", 3))
    # a revert for O1 arrives
    assert RejectionReason.ORDER_NOT_VOID == rejection(state, void_reverted("O1"))


def test_a_second_shipment_of_an_order_is_rejected() -> None:
    """A sale for a shipped order is ORDER_ALREADY_SHIPPED: it never ships twice."""
    # 10 in stock, O1 of 3 booked and shipped
    state = applied(received_manually(10), new_order("O1", 3), sale(3, order_id="O1"))
    # the shipment is reported again under another event id
    assert RejectionReason.ORDER_ALREADY_SHIPPED == rejection(state, sale(3, order_id="O1"))


def test_a_repeated_event_id_is_applied_once() -> None:
    """fold applies a redelivered event once and rejects the repeat as DUPLICATE_EVENT."""
    # a stock-in of 5, delivered twice with the same event_id
    event = StockReceivedManually(**envelope(event_id="in-1"), qty=5)
    result = fold([event, event])
    assert WarehouseStock(in_stock=5) == result.state(SKU).warehouse(W1)
    assert [(event, RejectionReason.DUPLICATE_EVENT)] == [
        (e, r.reason) for e, r in result.rejected]


def test_a_shipment_after_a_warehouse_change_releases_the_new_warehouse() -> None:
    """Change Warehouse then Sale: the booking is released where it was moved to."""
    # 5 in stock in W2, O1 of 3 booked in W1
    state = applied(received_manually(5, wh=W2), new_order("O1", 3))
    # O1 is moved to W2
    state = applied(warehouse_changed("O1", W2), state=state)
    # O1 ships from W2 at t=4
    state = applied(sale(3, order_id="O1", wh=W2, at=4), state=state)
    assert {W1: WarehouseStock(), W2: WarehouseStock(in_stock=2)} == state.warehouses
    assert Order(W2, 3, OrderState.SHIPPED, closed_at=4) == state.orders["O1"]


def test_a_void_then_revert_then_ship_counts_the_order_once() -> None:
    """Void, revert and ship of one order leave exactly its units shipped and nothing booked."""
    # 10 in stock, O1 of 3 booked
    state = applied(received_manually(10), new_order("O1", 3))
    # O1 is voided, the void is reverted, then O1 ships
    state = applied(voided("O1"), void_reverted("O1"), sale(3, order_id="O1"), state=state)
    assert WarehouseStock(in_stock=7, booked=0) == state.warehouse(W1)
