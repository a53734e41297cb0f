"""`stock_view`: a SKU's stock as plain data (ints, strs, dicts) for JSON, HTTP and the CLI."""

from __future__ import annotations

from collections.abc import Iterable

from stocksync.domain.sku_stock import SkuStock, WarehouseStock

StockNumbers = dict[str, int]


def stock_view(state: SkuStock) -> dict[str, object]:
    """Per warehouse (sorted by id) and in total: in_stock, booked, reserved, available,
    incoming."""
    warehouses = {wid: _numbers(state.warehouses[wid]) for wid in sorted(state.warehouses)}
    return {
        "merchant_sku": state.merchant_sku,
        "warehouses": warehouses,
        "total": _total(warehouses.values()),
    }


def _numbers(stock: WarehouseStock) -> StockNumbers:
    return {
        "in_stock": stock.in_stock,
        "booked": stock.booked,
        "reserved": stock.reserved,
        "available": stock.available,
        "incoming": stock.incoming,
    }


def _total(warehouses: Iterable[StockNumbers]) -> StockNumbers:
    total = _numbers(WarehouseStock())
    for numbers in warehouses:
        for key, value in numbers.items():
            total[key] += value
    return total
