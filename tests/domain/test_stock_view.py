"""stock_view: a SKU's stock as plain data."""

import json

from stocksync.domain.stock import SkuStock, stock_view

from .builders import W1, W2, applied, new_order, po_placed, received_manually, reserve_set


def test_the_view_lists_warehouses_sorted_and_a_total() -> None:
    """Per warehouse (sorted by id) and in total: stock numbers as plain ints."""
    # W2: 10 in, O1 of 4 booked, 1 reserved; W1: 3 in, PO of 6 incoming
    state = applied(received_manually(10, wh=W2), new_order("O1", 4, wh=W2),
                    reserve_set("S1", 1, wh=W2), received_manually(3), po_placed("PO1", 6))
    view = stock_view(state)
    assert {
        "merchant_sku": "APPLE",
        "warehouses": {
            W1: {"in_stock": 3, "booked": 0, "reserved": 0, "available": 3, "incoming": 6},
            W2: {"in_stock": 10, "booked": 4, "reserved": 1, "available": 5, "incoming": 0},
        },
        "total": {"in_stock": 13, "booked": 4, "reserved": 1, "available": 8, "incoming": 6},
    } == view
    assert [W1, W2] == list(view["warehouses"])  # type: ignore[call-overload]


def test_the_view_of_an_empty_stock_is_all_zero_and_serialises_as_json() -> None:
    """An unknown SKU has no warehouses and a zero total; the view is JSON as it is."""
    # a SKU with no events
    view = stock_view(SkuStock.empty("PEAR"))
    expected = {"merchant_sku": "PEAR", "warehouses": {}, "total": {
        "in_stock": 0, "booked": 0, "reserved": 0, "available": 0, "incoming": 0}}
    assert expected == json.loads(json.dumps(view))
