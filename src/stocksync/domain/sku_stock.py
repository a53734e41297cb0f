"""The stock state of one merchant SKU: per warehouse counters plus what they are derived from.

`booked`, `reserved` and `incoming` are kept incrementally; they always equal, per warehouse, the
sum of the BOOKED orders, of the promotion reserves and of the open purchase orders held here.
States are immutable and share unchanged parts with their predecessors: never mutate a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from stocksync.domain.orders import EMPTY_ORDER_BOOK, OrderBook

PurchaseOrderKey = tuple[str, str]  # (warehouse_id, po_id)
ReserveKey = tuple[str, str]  # (warehouse_id, store_id)
Listing = tuple[str, str]  # (store_id, store_sku)


@dataclass(frozen=True, slots=True)
class WarehouseStock:
    in_stock: int = 0  # physical units
    booked: int = 0  # units of open (BOOKED) orders
    reserved: int = 0  # units held for stores' promotions
    incoming: int = 0  # units on open purchase orders; informational

    @property
    def available(self) -> int:
        """Units free to sell; negative when oversold (pushes clamp, the fold does not)."""
        return self.in_stock - self.booked - self.reserved


NO_STOCK = WarehouseStock()


@dataclass(frozen=True, slots=True)
class SkuStock:
    merchant_sku: str
    warehouses: Mapping[str, WarehouseStock] = field(default_factory=dict)
    orders: OrderBook = field(default_factory=lambda: EMPTY_ORDER_BOOK)
    purchase_orders: Mapping[PurchaseOrderKey, int] = field(default_factory=dict)
    promotion_reserves: Mapping[ReserveKey, int] = field(default_factory=dict)
    mappings: frozenset[Listing] = frozenset()

    @classmethod
    def empty(cls, merchant_sku: str) -> SkuStock:
        return cls(merchant_sku)

    def warehouse(self, warehouse_id: str) -> WarehouseStock:
        """The stock in `warehouse_id`; all zero for a warehouse never seen."""
        return self.warehouses.get(warehouse_id, NO_STOCK)
