"""Why a well-formed stock event could not apply: machine-readable codes for the rejected topic."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class RejectionReason(str, enum.Enum):
    NON_POSITIVE_QUANTITY = "NON_POSITIVE_QUANTITY"  # qty <= 0 where units must move
    NEGATIVE_COUNT = "NEGATIVE_COUNT"  # a stock count below zero
    NEGATIVE_RESERVE = "NEGATIVE_RESERVE"  # a promotion reserve below zero
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"  # a stock-out beyond the warehouse's in stock
    UNKNOWN_ORDER = "UNKNOWN_ORDER"  # never seen, or pruned after its retention
    ORDER_ALREADY_BOOKED = "ORDER_ALREADY_BOOKED"  # "new" for an order that is booked
    ORDER_ALREADY_CANCELLED = "ORDER_ALREADY_CANCELLED"  # cancel of a cancelled order
    ORDER_ALREADY_SHIPPED = "ORDER_ALREADY_SHIPPED"  # any change to a shipped order
    ORDER_ALREADY_VOID = "ORDER_ALREADY_VOID"  # void of a void order
    ORDER_CLOSED = "ORDER_CLOSED"  # the order was cancelled or voided
    ORDER_NOT_BOOKED = "ORDER_NOT_BOOKED"  # a warehouse change for an order holding no booking
    ORDER_NOT_VOID = "ORDER_NOT_VOID"  # a revert of an order that is not void
    SAME_WAREHOUSE = "SAME_WAREHOUSE"  # a warehouse change to the order's own warehouse
    MAPPING_NOT_FOUND = "MAPPING_NOT_FOUND"  # removal of a mapping that does not exist
    PURCHASE_ORDER_EXISTS = "PURCHASE_ORDER_EXISTS"  # a PO placed twice in one warehouse
    WRONG_SKU = "WRONG_SKU"  # the event belongs to another merchant SKU's state
    DUPLICATE_EVENT = "DUPLICATE_EVENT"  # the event_id was already applied (or rejected)
    QUANTITY_OUT_OF_RANGE = "QUANTITY_OUT_OF_RANGE"  # a warehouse figure beyond ±MAX_QTY


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: RejectionReason
    detail: str  # for people: names the order, warehouse or quantity concerned
