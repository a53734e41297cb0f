"""encode() validates against the schema and names the offending field."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from stocksync.domain.events import (
    OrderStatus,
    OrderSynced,
    PushNowRequested,
    SaleShipped,
    StockEvent,
)
from stocksync.schemas.codec import default_codec
from stocksync.schemas.errors import EventEncodeError

ENVELOPE: dict[str, Any] = dict(
    event_id="e-1", merchant_sku="SKU", warehouse_id="WH", occurred_at=1_000, source="wms"
)
ORDER = OrderSynced(**ENVELOPE, order_id="o-1", store_id="s-1", qty=2, order_status=OrderStatus.NEW)


def encode_error(event: object) -> EventEncodeError:
    with pytest.raises(EventEncodeError) as caught:
        default_codec().encode(event)  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"qty": "2"}, "qty", "expected int, got str"),
        ({"qty": True}, "qty", "expected int, got bool"),
        ({"qty": 2.0}, "qty", "expected int, got float"),
        ({"qty": 1 << 63}, "qty", "9223372036854775808 is outside the Avro long (64-bit) range"),
        ({"occurred_at": None}, "occurred_at", "expected int, got NoneType"),
        ({"event_id": 7}, "event_id", "expected str, got int"),
        ({"source": "bad \ud800"}, "source", "not encodable as UTF-8: surrogates not allowed"),
        ({"order_status": "NEW"}, "order_status", "expected OrderStatus, got 'NEW'"),
    ],
    ids=[
        "str-qty",
        "bool-qty",
        "float-qty",
        "qty-over-long",
        "none-time",
        "int-id",
        "surrogate",
        "str-enum",
    ],
)
def test_wrong_type_names_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    """A value of the wrong type or range: EventEncodeError with record, field and reason."""
    error = encode_error(dataclasses.replace(ORDER, **changes))
    assert ("OrderSynced", field, message) == (error.record, error.field, error.message)
    assert f"OrderSynced.{field}: {message}" == str(error)


def test_bad_array_item_names_field_and_position() -> None:
    """A non-string store id: the field and the item position are named."""
    event = PushNowRequested(**ENVELOPE, store_ids=("shop-1", 2))  # type: ignore[arg-type]
    error = encode_error(event)
    assert ("store_ids", "item 1: expected str, got int") == (error.field, error.message)


def test_missing_field_is_named() -> None:
    """An event lacking a field the schema has: EventEncodeError 'missing' for that field."""
    event = object.__new__(SaleShipped)
    for name, value in ENVELOPE.items():
        object.__setattr__(event, name, value)
    object.__setattr__(event, "order_id", None)
    error = encode_error(event)
    assert ("SaleShipped", "qty", "missing") == (error.record, error.field, error.message)


def test_not_an_event_type() -> None:
    """Anything but one of the 19 event classes is refused with its type named."""
    error = encode_error(StockEvent(**ENVELOPE))
    assert "StockEvent: not a stock event type" == str(error)
