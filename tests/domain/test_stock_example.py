"""The worked example of PRODUCT.md §1 (Sumtracker)."""

from stocksync.domain.stock import WarehouseStock

from .builders import W1, applied, new_order, received_manually, sale


def test_an_order_books_units_and_its_shipment_takes_them_out_of_stock() -> None:
    """50 in stock; an order of 4 leaves 46 available; shipping it leaves 46 in stock, 0 booked."""
    # 50 apples arrive
    state = applied(received_manually(50))
    # an order for 4 arrives: in stock 50, booked 4, available 46
    state = applied(new_order("O1", 4), state=state)
    assert (50, 4, 46) == (state.warehouse(W1).in_stock, state.warehouse(W1).booked,
                           state.warehouse(W1).available)
    # the order ships: in stock 46, booked 0, available 46
    state = applied(sale(4, order_id="O1"), state=state)
    assert WarehouseStock(in_stock=46, booked=0) == state.warehouse(W1)
    assert 46 == state.warehouse(W1).available
