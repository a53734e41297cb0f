"""Stock events: the 17 trigger reasons of PRODUCT.md §2 plus two informational events.

Each event is a frozen dataclass named in the past tense. Its ``REASON`` is the enum symbol used in
every interface (JSON lines, HTTP, CLI); its class name is the Avro record name in ``schemas/``.
Nothing here knows about Kafka or Avro.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar


class Reason(str, enum.Enum):
    """Why a stock event happened: the 17 trigger reasons, then the two extra events."""

    SYNC_ORDER = "SYNC_ORDER"
    STOCK_IN_MANUAL = "STOCK_IN_MANUAL"
    STOCK_IN_RETURN_SCAN = "STOCK_IN_RETURN_SCAN"
    STOCK_IN_RETURN_MANUAL = "STOCK_IN_RETURN_MANUAL"
    STOCK_IN_TRANSFER = "STOCK_IN_TRANSFER"
    STOCK_IN_PURCHASE = "STOCK_IN_PURCHASE"
    STOCK_OUT_MANUAL = "STOCK_OUT_MANUAL"
    STOCK_OUT_SALE = "STOCK_OUT_SALE"
    STOCK_OUT_TRANSFER = "STOCK_OUT_TRANSFER"
    VOID_ORDER = "VOID_ORDER"
    REVERT_VOIDED_ORDER = "REVERT_VOIDED_ORDER"
    MAPPING_CHANGED = "MAPPING_CHANGED"
    CHANGE_WAREHOUSE = "CHANGE_WAREHOUSE"
    MOVE_TO_PACK = "MOVE_TO_PACK"
    REFRESH_INVENTORY = "REFRESH_INVENTORY"
    PUSH_NOW = "PUSH_NOW"
    STOCK_COUNT = "STOCK_COUNT"
    PURCHASE_ORDER_PLACED = "PURCHASE_ORDER_PLACED"
    PROMOTION_RESERVE_SET = "PROMOTION_RESERVE_SET"

    @property
    def trigger_number(self) -> int | None:
        """The reason's number in PRODUCT.md §2 (1-17); None for the two extra events."""
        return _TRIGGER_NUMBERS[self]


# Looked up once per folded event: computed once, not by listing the enum each time.
_TRIGGER_NUMBERS = {reason: position if position <= 17 else None
                    for position, reason in enumerate(Reason, start=1)}


class OrderStatus(str, enum.Enum):
    NEW = "NEW"
    CANCELLED = "CANCELLED"


class MappingAction(str, enum.Enum):
    ADD = "ADD"
    REMOVE = "REMOVE"


@dataclass(frozen=True, slots=True, kw_only=True)
class StockEvent:
    """The envelope every stock event carries."""

    REASON: ClassVar[Reason]

    event_id: str  # unique; the idempotency key
    merchant_sku: str  # the Kafka key
    warehouse_id: str
    occurred_at: int  # event time, epoch milliseconds (UTC)
    source: str  # the publishing system

    @property
    def reason(self) -> Reason:
        return self.REASON


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSynced(StockEvent):
    REASON = Reason.SYNC_ORDER
    order_id: str
    store_id: str
    qty: int
    order_status: OrderStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class StockReceivedManually(StockEvent):
    REASON = Reason.STOCK_IN_MANUAL
    qty: int
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnScanned(StockEvent):
    REASON = Reason.STOCK_IN_RETURN_SCAN
    qty: int
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnReceivedManually(StockEvent):
    REASON = Reason.STOCK_IN_RETURN_MANUAL
    qty: int
    order_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferReceived(StockEvent):
    REASON = Reason.STOCK_IN_TRANSFER
    qty: int
    transfer_id: str
    from_warehouse: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseReceived(StockEvent):
    REASON = Reason.STOCK_IN_PURCHASE
    qty: int
    po_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StockRemovedManually(StockEvent):
    REASON = Reason.STOCK_OUT_MANUAL
    qty: int
    note: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SaleShipped(StockEvent):
    REASON = Reason.STOCK_OUT_SALE
    qty: int
    order_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferShipped(StockEvent):
    REASON = Reason.STOCK_OUT_TRANSFER
    qty: int
    transfer_id: str
    to_warehouse: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderVoided(StockEvent):
    REASON = Reason.VOID_ORDER
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VoidedOrderReverted(StockEvent):
    REASON = Reason.REVERT_VOIDED_ORDER
    order_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MappingChanged(StockEvent):
    REASON = Reason.MAPPING_CHANGED
    store_id: str
    store_sku: str
    action: MappingAction


@dataclass(frozen=True, slots=True, kw_only=True)
class WarehouseChanged(StockEvent):
    REASON = Reason.CHANGE_WAREHOUSE
    order_id: str
    to_warehouse: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderMovedToPack(StockEvent):
    REASON = Reason.MOVE_TO_PACK
    order_id: str
    qty: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InventoryRefreshRequested(StockEvent):
    REASON = Reason.REFRESH_INVENTORY


@dataclass(frozen=True, slots=True, kw_only=True)
class PushNowRequested(StockEvent):
    REASON = Reason.PUSH_NOW
    store_ids: tuple[str, ...] = ()  # empty: every store


@dataclass(frozen=True, slots=True, kw_only=True)
class StockCounted(StockEvent):
    REASON = Reason.STOCK_COUNT
    counted_qty: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PurchaseOrderPlaced(StockEvent):
    REASON = Reason.PURCHASE_ORDER_PLACED
    po_id: str
    qty: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PromotionReserveSet(StockEvent):
    REASON = Reason.PROMOTION_RESERVE_SET
    store_id: str
    qty: int  # units reserved for the store's promotion; 0 clears the reserve


EVENT_TYPES: tuple[type[StockEvent], ...] = (
    OrderSynced,
    StockReceivedManually,
    ReturnScanned,
    ReturnReceivedManually,
    TransferReceived,
    PurchaseReceived,
    StockRemovedManually,
    SaleShipped,
    TransferShipped,
    OrderVoided,
    VoidedOrderReverted,
    MappingChanged,
    WarehouseChanged,
    OrderMovedToPack,
    InventoryRefreshRequested,
    PushNowRequested,
    StockCounted,
    PurchaseOrderPlaced,
    PromotionReserveSet,
)

EVENT_TYPE_BY_REASON: dict[Reason, type[StockEvent]] = {t.REASON: t for t in EVENT_TYPES}
