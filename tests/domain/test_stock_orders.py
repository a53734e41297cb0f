"""Orders: Sync Order (1), Sale with an order (8), Void (10), Revert (11), Change Warehouse (13),
Move to Pack (14)."""

from stocksync.domain.stock import Order, OrderState, RejectionReason, WarehouseStock

from .builders import (
    W1,
    W2,
    applied,
    cancelled_order,
    moved_to_pack,
    new_order,
    received_manually,
    rejection,
    sale,
    void_reverted,
    voided,
    warehouse_changed,
)


def test_a_new_order_books_its_quantity_in_the_events_warehouse() -> None:
    """Sync Order "new" for an unknown order books its qty in the event's warehouse."""
    # 10 in stock in W2
    state = applied(received_manually(10, wh=W2))
    # order O1 of 3 arrives for W2
    state = applied(new_order("O1", 3, wh=W2), state=state)
    assert WarehouseStock(in_stock=10, booked=3) == state.warehouse(W2)
    assert Order(W2, 3, OrderState.BOOKED) == state.orders["O1"]


def test_a_new_order_may_book_more_than_is_in_stock() -> None:
    """An order beyond the stock books all the same; available goes negative (oversold)."""
    # 2 in stock
    state = applied(received_manually(2))
    # an order of 5 arrives
    state = applied(new_order("O1", 5), state=state)
    assert -3 == state.warehouse(W1).available


def test_a_repeated_new_order_is_rejected_as_already_booked() -> None:
    """A second "new" for a booked order books nothing twice."""
    # order O1 of 3 is booked
    state = applied(new_order("O1", 3))
    # the marketplace sends "new" for O1 again, under another event id
    assert RejectionReason.ORDER_ALREADY_BOOKED == rejection(state, new_order("O1", 3))


def test_a_new_order_for_a_cancelled_order_is_rejected_as_closed() -> None:
    """A late "new" for a cancelled order does not book it again."""
    # order O1 is booked and cancelled
    state = applied(new_order("O1", 3), cancelled_order("O1"))
    # a late "new" for O1 arrives
    assert RejectionReason.ORDER_CLOSED == rejection(state, new_order("O1", 3))


def test_a_new_order_with_no_quantity_is_rejected() -> None:
    """Sync Order "new" with qty 0 is NON_POSITIVE_QUANTITY."""
    # an order of 0 units arrives
    assert RejectionReason.NON_POSITIVE_QUANTITY == rejection(applied(), new_order("O1", 0))


def test_cancelling_a_booked_order_releases_its_booking() -> None:
    """Sync Order "cancelled" before shipping releases the order's booking."""
    # 10 in stock, order O1 of 3 booked
    state = applied(received_manually(10), new_order("O1", 3))
    # O1 is cancelled at t=5
    state = applied(cancelled_order("O1", at=5), state=state)
    assert WarehouseStock(in_stock=10, booked=0) == state.warehouse(W1)
    assert Order(W1, 3, OrderState.CANCELLED, closed_at=5) == state.orders["O1"]


def test_cancelling_an_unknown_order_is_rejected() -> None:
    """A cancel for an order never booked is UNKNOWN_ORDER."""
    # O9 was never seen
    assert RejectionReason.UNKNOWN_ORDER == rejection(applied(), cancelled_order("O9"))


def test_cancelling_a_void_order_is_rejected_as_closed() -> None:
    """A cancel for a void order is ORDER_CLOSED."""
    # order O1 is booked, then voided
    state = applied(new_order("O1", 3), voided("O1"))
    # the marketplace cancels O1
    assert RejectionReason.ORDER_CLOSED == rejection(state, cancelled_order("O1"))


def test_a_sale_for_a_booked_order_ships_it_and_releases_its_booking() -> None:
    """Stock-Out / Sale with a booked order_id: in stock and booked both drop by the order."""
    # 10 in stock, order O1 of 3 booked
    state = applied(received_manually(10), new_order("O1", 3))
    # O1 ships at t=7
    state = applied(sale(3, order_id="O1", at=7), state=state)
    assert WarehouseStock(in_stock=7, booked=0) == state.warehouse(W1)
    assert Order(W1, 3, OrderState.SHIPPED, closed_at=7) == state.orders["O1"]


def test_a_sale_releases_the_booking_in_the_orders_own_warehouse() -> None:
    """A sale leaving from W2 for an order booked in W1 takes stock from W2 and frees W1."""
    # 5 in stock in each warehouse, O1 of 2 booked in W1
    state = applied(received_manually(5), received_manually(5, wh=W2), new_order("O1", 2))
    # O1 ships from W2
    state = applied(sale(2, order_id="O1", wh=W2), state=state)
    assert (WarehouseStock(in_stock=5), WarehouseStock(in_stock=3)) == (
        state.warehouse(W1), state.warehouse(W2))


def test_a_sale_for_an_unknown_order_is_recorded_as_shipped() -> None:
    """A sale for an order never booked applies, and a late "new" for it cannot book."""
    # 10 in stock
    state = applied(received_manually(10))
    # O1 ships before its "new" arrives
    state = applied(sale(4, order_id="O1", at=3), state=state)
    assert Order(W1, 4, OrderState.SHIPPED, closed_at=3) == state.orders["O1"]
    # the late "new" for O1 is refused: nothing gets booked
    assert RejectionReason.ORDER_ALREADY_SHIPPED == rejection(state, new_order("O1", 4))


def test_a_sale_for_a_void_order_is_rejected_as_closed() -> None:
    """A sale for a void order is ORDER_CLOSED and takes nothing out of stock."""
    # 10 in stock, O1 booked then voided
    state = applied(received_manually(10), new_order("O1", 3), voided("O1"))
    # a sale for O1 arrives
    assert RejectionReason.ORDER_CLOSED == rejection(state, sale(3, order_id="O1"))


def test_a_sale_for_a_booked_order_beyond_the_stock_is_rejected() -> None:
    """A sale beyond the stock is INSUFFICIENT_STOCK even for a booked order."""
    # 2 in stock, O1 of 3 booked
    state = applied(received_manually(2), new_order("O1", 3))
    # O1 ships 3
    assert RejectionReason.INSUFFICIENT_STOCK == rejection(state, sale(3, order_id="O1"))


def test_voiding_a_booked_order_releases_its_booking() -> None:
    """Void Order releases the booking and makes the order void."""
    # 10 in stock, O1 of 3 booked
    state = applied(received_manually(10), new_order("O1", 3))
    # O1 is voided at t=9
    state = applied(voided("O1", at=9), state=state)
    assert WarehouseStock(in_stock=10, booked=0) == state.warehouse(W1)
    assert Order(W1, 3, OrderState.VOID, closed_at=9) == state.orders["O1"]


def test_voiding_an_unknown_order_is_rejected() -> None:
    """Void Order for an order never seen is UNKNOWN_ORDER."""
    # O9 was never seen
    assert RejectionReason.UNKNOWN_ORDER == rejection(applied(), voided("O9"))


def test_voiding_a_void_order_is_rejected_as_already_void() -> None:
    """A second void is ORDER_ALREADY_VOID."""
    # O1 booked and voided
    state = applied(new_order("O1", 3), voided("O1"))
    # O1 is voided again
    assert RejectionReason.ORDER_ALREADY_VOID == rejection(state, voided("O1"))


def test_voiding_a_cancelled_order_is_rejected_as_closed() -> None:
    """Void Order for a cancelled order is ORDER_CLOSED."""
    # O1 booked and cancelled
    state = applied(new_order("O1", 3), cancelled_order("O1"))
    # O1 is voided
    assert RejectionReason.ORDER_CLOSED == rejection(state, voided("O1"))


def test_reverting_a_void_order_books_it_again() -> None:
    """Revert Voided Order books the same qty in the same warehouse again."""
    # 10 in stock in W2, O1 of 3 booked there and voided
    state = applied(received_manually(10, wh=W2), new_order("O1", 3, wh=W2), voided("O1", wh=W2))
    # the void is reverted (reported from W1: the order's own warehouse counts)
    state = applied(void_reverted("O1"), state=state)
    assert WarehouseStock(in_stock=10, booked=3) == state.warehouse(W2)
    assert Order(W2, 3, OrderState.BOOKED) == state.orders["O1"]


def test_reverting_an_unknown_order_is_rejected() -> None:
    """Revert Voided Order for an order never seen is UNKNOWN_ORDER."""
    # O9 was never seen
    assert RejectionReason.UNKNOWN_ORDER == rejection(applied(), void_reverted("O9"))


def test_changing_warehouse_moves_the_booking() -> None:
    """Change Warehouse moves a booked order's booking to the other warehouse."""
    # O1 of 3 booked in W1
    state = applied(new_order("O1", 3))
    # O1 is moved to W2
    state = applied(warehouse_changed("O1", W2), state=state)
    assert (WarehouseStock(booked=0), WarehouseStock(booked=3)) == (
        state.warehouse(W1), state.warehouse(W2))
    assert Order(W2, 3, OrderState.BOOKED) == state.orders["O1"]


def test_changing_to_the_same_warehouse_is_rejected() -> None:
    """Change Warehouse to the order's own warehouse is SAME_WAREHOUSE."""
    # O1 booked in W1
    state = applied(new_order("O1", 3))
    # O1 is "moved" to W1
    assert RejectionReason.SAME_WAREHOUSE == rejection(state, warehouse_changed("O1", W1))


def test_changing_warehouse_of_a_shipped_order_is_rejected() -> None:
    """Change Warehouse for an order that holds no booking is ORDER_NOT_BOOKED."""
    # 5 in stock, O1 booked and shipped
    state = applied(received_manually(5), new_order("O1", 3), sale(3, order_id="O1"))
    # O1 is moved to W2
    assert RejectionReason.ORDER_NOT_BOOKED == rejection(state, warehouse_changed("O1", W2))


def test_changing_warehouse_of_an_unknown_order_is_rejected() -> None:
    """Change Warehouse for an order never seen is UNKNOWN_ORDER."""
    # O9 was never seen
    assert RejectionReason.UNKNOWN_ORDER == rejection(applied(), warehouse_changed("O9", W2))


def test_moving_an_unknown_order_to_pack_books_it() -> None:
    """Move to [To Pack] books an order that was not booked yet."""
    # O1 reaches packing before its "new"
    state = applied(moved_to_pack("O1", 2))
    assert WarehouseStock(booked=2) == state.warehouse(W1)
    assert Order(W1, 2, OrderState.BOOKED) == state.orders["O1"]


def test_moving_a_booked_order_to_pack_changes_nothing() -> None:
    """Move to [To Pack] of a booked order applies and leaves the very same state."""
    # O1 of 2 booked
    state = applied(new_order("O1", 2))
    # O1 is moved to pack
    assert state is applied(moved_to_pack("O1", 2), state=state)


def test_moving_a_cancelled_order_to_pack_is_rejected_as_closed() -> None:
    """Move to [To Pack] of a cancelled order is ORDER_CLOSED."""
    # O1 booked and cancelled
    state = applied(new_order("O1", 2), cancelled_order("O1"))
    # O1 is moved to pack
    assert RejectionReason.ORDER_CLOSED == rejection(state, moved_to_pack("O1", 2))


def test_moving_a_shipped_order_to_pack_is_rejected_as_already_shipped() -> None:
    """Move to [To Pack] of a shipped order is ORDER_ALREADY_SHIPPED: it is not booked again."""
    # 5 in stock, O1 booked and shipped
    state = applied(received_manually(5), new_order("O1", 2), sale(2, order_id="O1"))
    # O1 is moved to pack
    assert RejectionReason.ORDER_ALREADY_SHIPPED == rejection(state, moved_to_pack("O1", 2))


def test_moving_to_pack_with_no_quantity_is_rejected() -> None:
    """Move to [To Pack] with qty 0 is NON_POSITIVE_QUANTITY."""
    # O1 is moved to pack with 0 units
    assert RejectionReason.NON_POSITIVE_QUANTITY == rejection(applied(), moved_to_pack("O1", 0))
