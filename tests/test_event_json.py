"""JSON lines in and out: validation with line numbers and fields, and a lossless roundtrip."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from hypothesis import given

from stocksync.domain.events import (
    MappingAction,
    MappingChanged,
    OrderStatus,
    OrderSynced,
    PushNowRequested,
    SaleShipped,
    StockEvent,
)
from stocksync.event_json import (
    EventFileError,
    EventJsonError,
    LineError,
    event_from_json,
    event_to_json,
    read_event_lines,
)
from tests.strategies import stock_events

T_2024_05_01_NOON_MS = 1_714_564_800_000
ORDER_LINE: dict[str, Any] = {
    "reason": "SYNC_ORDER",
    "event_id": "evt-1",
    "merchant_sku": "APPLE",
    "warehouse_id": "WH-1",
    "occurred_at": "2024-05-01T12:00:00Z",
    "source": "oms",
    "order_id": "ORD-1",
    "store_id": "shopee-1",
    "qty": 4,
    "order_status": "NEW",
}
ORDER = OrderSynced(
    event_id="evt-1",
    merchant_sku="APPLE",
    warehouse_id="WH-1",
    occurred_at=T_2024_05_01_NOON_MS,
    source="oms",
    order_id="ORD-1",
    store_id="shopee-1",
    qty=4,
    order_status=OrderStatus.NEW,
)


def line(**changes: Any) -> str:
    """ORDER_LINE as JSON text, with fields changed (a value of ... removes the field)."""
    obj = {k: v for k, v in {**ORDER_LINE, **changes}.items() if v is not ...}
    return json.dumps(obj)


def file_errors(lines: list[str]) -> list[LineError]:
    with pytest.raises(EventFileError) as caught:
        read_event_lines(lines)
    return caught.value.errors


def test_good_lines_give_events_in_order() -> None:
    """Valid lines of several reasons give their events; blank lines are skipped."""
    lines = [
        line(),
        "",
        "   ",
        json.dumps(
            {
                "reason": "PUSH_NOW",
                "event_id": "evt-2",
                "merchant_sku": "APPLE",
                "warehouse_id": "WH-1",
                "occurred_at": T_2024_05_01_NOON_MS,
                "source": "ui",
                "store_ids": ["shopee-1"],
            }
        ),
        json.dumps(
            {
                "reason": "STOCK_OUT_SALE",
                "event_id": "evt-3",
                "merchant_sku": "APPLE",
                "warehouse_id": "WH-1",
                "occurred_at": "2024-05-01T14:00:00+02:00",
                "source": "wms",
                "qty": 4,
                "order_id": None,
            }
        ),
    ]
    envelope = dict(merchant_sku="APPLE", warehouse_id="WH-1", occurred_at=T_2024_05_01_NOON_MS)
    assert [
        ORDER,
        PushNowRequested(event_id="evt-2", source="ui", store_ids=("shopee-1",), **envelope),
        SaleShipped(event_id="evt-3", source="wms", qty=4, **envelope),
    ] == read_event_lines(lines)


@pytest.mark.parametrize(
    ("occurred_at", "expected_ms"),
    [
        ("2024-05-01T12:00:00Z", T_2024_05_01_NOON_MS),
        ("2024-05-01T12:00:00.250Z", T_2024_05_01_NOON_MS + 250),
        ("2024-05-01T12:00:00", T_2024_05_01_NOON_MS),  # naive = UTC
        ("2024-05-01T07:00:00-05:00", T_2024_05_01_NOON_MS),
        ("2024-05-01T12:00:00.250999+00:00", T_2024_05_01_NOON_MS + 250),  # sub-ms dropped
        ("1969-12-31T23:59:59.999Z", -1),
        (T_2024_05_01_NOON_MS, T_2024_05_01_NOON_MS),
    ],
)
def test_occurred_at_forms(occurred_at: Any, expected_ms: int) -> None:
    """occurred_at: ISO-8601 with Z, offset or none (UTC), or epoch ms; kept in epoch ms."""
    assert expected_ms == event_from_json({**ORDER_LINE, "occurred_at": occurred_at}).occurred_at


def test_missing_event_id_is_generated() -> None:
    """Without event_id, a fresh uuid4 string is generated for each event."""
    first, second = read_event_lines([line(event_id=...), line(event_id=...)])
    assert 4 == uuid.UUID(first.event_id).version
    assert first.event_id != second.event_id


def test_optional_fields_may_be_absent() -> None:
    """A SaleShipped without order_id, a PushNow without store_ids: the defaults apply."""
    base = {k: ORDER_LINE[k] for k in ("event_id", "merchant_sku", "warehouse_id", "source")}
    sale = event_from_json({**base, "reason": "STOCK_OUT_SALE", "occurred_at": 0, "qty": 1})
    push = event_from_json({**base, "reason": "PUSH_NOW", "occurred_at": 0})
    assert (None, ()) == (sale.order_id, push.store_ids)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        (line(reason="SYNC_ORDERS"), ("reason", 'unknown reason "SYNC_ORDERS"; expected one of')),
        (line(reason=...), ("reason", "missing")),
        (line(store_id=...), ("store_id", "missing")),
        (line(qty="4"), ("qty", "expected an integer, got string")),
        (line(qty=True), ("qty", "expected an integer, got boolean")),
        (line(qty=4.0), ("qty", "expected an integer, got number")),
        (line(qty=1 << 63), ("qty", "9223372036854775808 is outside the Avro long (64-bit) range")),
        (line(order_id=None), ("order_id", "expected a string, got null")),
        (
            line(order_status="SHIPPED"),
            ("order_status", 'expected one of NEW, CANCELLED, got "SHIPPED"'),
        ),
        (
            line(occurred_at="2024-13-01T00:00:00Z"),
            ("occurred_at", 'not an ISO-8601 date-time: "2024-13-01T00:00:00Z"'),
        ),
        (line(occurred_at="yesterday"), ("occurred_at", 'not an ISO-8601 date-time: "yesterday"')),
        (
            line(occurred_at=True),
            ("occurred_at", "expected an ISO-8601 string or epoch milliseconds, got boolean"),
        ),
        (line(colour="red"), ("colour", "unknown field for reason SYNC_ORDER")),
        (line(source="\ud800"), ("source", "not encodable as UTF-8: surrogates not allowed")),
        (
            '{"reason": "SYNC_ORDER",',
            (None, "invalid JSON: Expecting property name enclosed in double quotes (column 25)"),
        ),
        ("[1, 2]", (None, "expected a JSON object, got array")),
    ],
    ids=[
        "bad-reason",
        "no-reason",
        "missing-field",
        "str-qty",
        "bool-qty",
        "float-qty",
        "qty-over-long",
        "null-required",
        "bad-enum",
        "bad-month",
        "bad-date",
        "bool-date",
        "unknown-field",
        "lone-surrogate",
        "invalid-json",
        "not-an-object",
    ],
)
def test_each_kind_of_bad_line_is_reported(bad_line: str, expected: tuple[str | None, str]) -> None:
    """A bad line among good ones: its line number, field and message; no events returned."""
    errors = file_errors([line(), bad_line, line()])
    assert [(2, expected[0])] == [(error.line, error.field) for error in errors]
    assert expected[1] == errors[0].message[: len(expected[1])]


def test_every_bad_field_of_every_bad_line_is_reported() -> None:
    """Two bad lines, one with three problems: all four reported, in line then field order."""
    errors = file_errors(
        [
            line(qty="x", order_status="OLD", extra=1),
            line(),
            "",
            "not json",
        ]
    )
    assert [
        LineError(1, "extra", "unknown field for reason SYNC_ORDER"),
        LineError(1, "qty", "expected an integer, got string"),
        LineError(1, "order_status", 'expected one of NEW, CANCELLED, got "OLD"'),
        LineError(4, None, "invalid JSON: Expecting value (column 1)"),
    ] == errors


def test_file_error_reads_as_a_report() -> None:
    """str(EventFileError) is a multi-line report: count, then one line per problem."""
    with pytest.raises(EventFileError) as caught:
        read_event_lines([line(qty="x"), "{"])
    assert (
        "2 bad lines:\n"
        "  line 1, field qty: expected an integer, got string\n"
        "  line 2: invalid JSON: Expecting property name enclosed in double quotes (column 2)"
    ) == str(caught.value)


def test_event_from_json_names_the_problems() -> None:
    """event_from_json on one object raises EventJsonError with (field, message) problems."""
    with pytest.raises(EventJsonError) as caught:
        event_from_json({**ORDER_LINE, "qty": None})
    assert [("qty", "expected an integer, got null")] == caught.value.problems


def test_to_json_form() -> None:
    """event_to_json: reason symbol first, ISO-8601 UTC with milliseconds, enum symbols."""
    event = MappingChanged(
        event_id="evt-9",
        merchant_sku="APPLE",
        warehouse_id="WH-1",
        occurred_at=T_2024_05_01_NOON_MS + 7,
        source="ui",
        store_id="shopee-1",
        store_sku="APL-01",
        action=MappingAction.ADD,
    )
    assert {
        "reason": "MAPPING_CHANGED",
        "event_id": "evt-9",
        "merchant_sku": "APPLE",
        "warehouse_id": "WH-1",
        "occurred_at": "2024-05-01T12:00:00.007Z",
        "source": "ui",
        "store_id": "shopee-1",
        "store_sku": "APL-01",
        "action": "ADD",
    } == event_to_json(event)


@given(stock_events())
def test_from_json_of_to_json_is_identity(event: StockEvent) -> None:
    """Any event survives to_json, JSON text and from_json unchanged."""
    text = json.dumps(event_to_json(event))
    assert event == event_from_json(json.loads(text))
