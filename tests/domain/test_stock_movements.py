"""Stock-ins (2-6), stock-outs (7-9), Stock Count (17), purchase orders and promotion reserves."""

from stocksync.domain.stock import RejectionReason, WarehouseStock

from .builders import (
    W1,
    W2,
    applied,
    counted,
    new_order,
    po_placed,
    purchase_received,
    received_manually,
    rejection,
    removed_manually,
    reserve_set,
    return_received,
    return_scanned,
    sale,
    transfer_received,
    transfer_shipped,
)


def test_a_manual_stock_in_adds_to_the_stock() -> None:
    """Stock-In / Manual: in stock += qty."""
    # 5 found, then 3 more
    state = applied(received_manually(5), received_manually(3))
    assert WarehouseStock(in_stock=8) == state.warehouse(W1)


def test_a_scanned_return_adds_to_the_stock() -> None:
    """Stock-In / Return-Scan: in stock += qty."""
    # 5 in stock, a return of 2 is scanned
    state = applied(received_manually(5), return_scanned(2, order_id="O1"))
    assert WarehouseStock(in_stock=7) == state.warehouse(W1)


def test_a_manual_return_adds_to_the_stock() -> None:
    """Stock-In / Return-Manual, without an order id: in stock += qty."""
    # a return of 2 is entered by hand
    state = applied(return_received(2))
    assert WarehouseStock(in_stock=2) == state.warehouse(W1)


def test_a_transfer_in_adds_to_the_receiving_warehouse_only() -> None:
    """Stock-In / Transfer: in stock += qty in the receiving warehouse."""
    # 4 arrive in W2 from W1
    state = applied(transfer_received(4, from_warehouse=W1, wh=W2))
    assert {W2: WarehouseStock(in_stock=4)} == state.warehouses


def test_a_stock_in_of_no_units_is_rejected() -> None:
    """A stock-in with qty 0 is NON_POSITIVE_QUANTITY."""
    # 0 units are "received"
    assert RejectionReason.NON_POSITIVE_QUANTITY == rejection(applied(), received_manually(0))


def test_a_purchase_receipt_turns_incoming_units_into_stock() -> None:
    """Stock-In / Purchase: in stock += qty, incoming -= the units received of that PO."""
    # PO1 of 10 is placed
    state = applied(po_placed("PO1", 10))
    # 6 of it arrive
    state = applied(purchase_received(6, po_id="PO1"), state=state)
    assert WarehouseStock(in_stock=6, incoming=4) == state.warehouse(W1)
    assert {(W1, "PO1"): 4} == state.purchase_orders


def test_a_fully_received_purchase_order_is_closed() -> None:
    """A PO whose last units arrive is removed; extra units still stock in."""
    # PO1 of 10 is placed
    state = applied(po_placed("PO1", 10))
    # 12 arrive for it: 2 more than ordered
    state = applied(purchase_received(12, po_id="PO1"), state=state)
    assert WarehouseStock(in_stock=12, incoming=0) == state.warehouse(W1)
    assert {} == state.purchase_orders


def test_a_receipt_for_an_unknown_purchase_order_still_stocks_in() -> None:
    """Stock-In / Purchase for a PO never placed: in stock += qty, incoming unchanged."""
    # PO1 of 10 is placed in W2
    state = applied(po_placed("PO1", 10, wh=W2))
    # 3 arrive in W1 for PO1, which is not open in W1
    state = applied(purchase_received(3, po_id="PO1"), state=state)
    assert (WarehouseStock(in_stock=3), WarehouseStock(incoming=10)) == (
        state.warehouse(W1), state.warehouse(W2))


def test_placing_a_purchase_order_adds_incoming_units() -> None:
    """Purchase order placed: incoming += qty; the same po_id may be open in two warehouses."""
    # PO1 of 10 for W1 and PO1 of 5 for W2
    state = applied(po_placed("PO1", 10), po_placed("PO1", 5, wh=W2))
    assert (WarehouseStock(incoming=10), WarehouseStock(incoming=5)) == (
        state.warehouse(W1), state.warehouse(W2))


def test_placing_an_open_purchase_order_again_is_rejected() -> None:
    """A second "placed" for an open PO of the warehouse is PURCHASE_ORDER_EXISTS."""
    # PO1 is open in W1
    state = applied(po_placed("PO1", 10))
    # PO1 is placed again
    assert RejectionReason.PURCHASE_ORDER_EXISTS == rejection(state, po_placed("PO1", 10))


def test_placing_a_purchase_order_of_no_units_is_rejected() -> None:
    """Purchase order placed with qty 0 is NON_POSITIVE_QUANTITY."""
    # a PO of 0 units
    assert RejectionReason.NON_POSITIVE_QUANTITY == rejection(applied(), po_placed("PO1", 0))


def test_a_manual_stock_out_takes_from_the_stock() -> None:
    """Stock-Out / Manual: in stock -= qty."""
    # 5 in stock, 2 removed
    state = applied(received_manually(5), removed_manually(2))
    assert WarehouseStock(in_stock=3) == state.warehouse(W1)


def test_a_stock_out_beyond_the_stock_is_rejected() -> None:
    """A stock-out of more than the warehouse holds is INSUFFICIENT_STOCK."""
    # 5 in stock in W2 only
    state = applied(received_manually(5, wh=W2))
    # 1 removed from W1
    assert RejectionReason.INSUFFICIENT_STOCK == rejection(state, removed_manually(1))


def test_a_stock_out_of_no_units_is_rejected() -> None:
    """A stock-out with a negative qty is NON_POSITIVE_QUANTITY."""
    # 5 in stock, -1 removed
    state = applied(received_manually(5))
    assert RejectionReason.NON_POSITIVE_QUANTITY == rejection(state, removed_manually(-1))


def test_a_sale_without_an_order_takes_from_the_stock() -> None:
    """Stock-Out / Sale without order_id: in stock -= qty, bookings untouched."""
    # 5 in stock, O1 of 2 booked
    state = applied(received_manually(5), new_order("O1", 2))
    # a walk-in sale of 1
    state = applied(sale(1), state=state)
    assert WarehouseStock(in_stock=4, booked=2) == state.warehouse(W1)


def test_a_transfer_out_takes_from_the_sending_warehouse() -> None:
    """Stock-Out / Transfer: in stock -= qty in the sending warehouse."""
    # 5 in stock, 3 sent to W2
    state = applied(received_manually(5), transfer_shipped(3, to_warehouse=W2))
    assert {W1: WarehouseStock(in_stock=2)} == state.warehouses


def test_a_stock_count_sets_the_stock_and_keeps_bookings() -> None:
    """Stock Count: in stock := counted_qty; booked unchanged."""
    # 5 in stock, O1 of 2 booked
    state = applied(received_manually(5), new_order("O1", 2))
    # 9 are counted
    state = applied(counted(9), state=state)
    assert WarehouseStock(in_stock=9, booked=2) == state.warehouse(W1)


def test_a_stock_count_of_zero_applies() -> None:
    """Stock Count of 0 empties the warehouse."""
    # 5 in stock, 0 counted
    state = applied(received_manually(5), counted(0))
    assert WarehouseStock(in_stock=0) == state.warehouse(W1)


def test_a_negative_stock_count_is_rejected() -> None:
    """Stock Count below zero is NEGATIVE_COUNT."""
    # -1 counted
    assert RejectionReason.NEGATIVE_COUNT == rejection(applied(), counted(-1))


def test_a_promotion_reserve_leaves_the_available_stock() -> None:
    """Promotion reserve set: reserved := qty in the warehouse; available drops by it."""
    # 10 in stock, store S1 reserves 3
    state = applied(received_manually(10), reserve_set("S1", 3))
    assert WarehouseStock(in_stock=10, reserved=3) == state.warehouse(W1)
    assert 7 == state.warehouse(W1).available


def test_promotion_reserves_of_two_stores_add_up_and_are_replaced() -> None:
    """reserved is the sum of the stores' reserves; a new value replaces a store's reserve."""
    # S1 reserves 3, S2 reserves 2, then S1 changes to 1
    state = applied(reserve_set("S1", 3), reserve_set("S2", 2), reserve_set("S1", 1))
    assert WarehouseStock(reserved=3) == state.warehouse(W1)
    assert {(W1, "S1"): 1, (W1, "S2"): 2} == state.promotion_reserves


def test_a_promotion_reserve_of_zero_removes_it() -> None:
    """Promotion reserve set to 0 clears the store's reserve."""
    # S1 reserves 3, then 0
    state = applied(reserve_set("S1", 3), reserve_set("S1", 0))
    assert (WarehouseStock(), {}) == (state.warehouse(W1), state.promotion_reserves)


def test_a_negative_promotion_reserve_is_rejected() -> None:
    """Promotion reserve below zero is NEGATIVE_RESERVE."""
    # S1 reserves -1
    assert RejectionReason.NEGATIVE_RESERVE == rejection(applied(), reserve_set("S1", -1))
