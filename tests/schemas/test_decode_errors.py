"""Each way a message can be wrong raises its own EventDecodeError, naming what and where."""

from __future__ import annotations

import pytest

from stocksync.domain.events import MappingChanged, PushNowRequested, SaleShipped, StockEvent
from stocksync.schemas.codec import MAGIC, default_codec
from stocksync.schemas.errors import (
    BadHeaderError,
    EventDecodeError,
    MalformedBodyError,
    UnknownSchemaError,
)


def varint(value: int) -> bytes:
    """Zigzag varint, written here independently of the codec."""
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def string(text: str) -> bytes:
    encoded = text.encode()
    return varint(len(encoded)) + encoded


def header(event_type: type[StockEvent]) -> bytes:
    return MAGIC + default_codec().writer_fingerprint(event_type)


ENVELOPE = string("e-1") + string("SKU") + string("WH") + varint(1_000) + string("wms")


def decode_error(data: bytes) -> EventDecodeError:
    with pytest.raises(EventDecodeError) as caught:
        default_codec().decode(data)
    return caught.value


def test_well_formed_reference_message_decodes() -> None:
    """The hand-built reference message is valid, so each case below breaks exactly one thing."""
    message = header(SaleShipped) + ENVELOPE + varint(3) + b"\x00"
    expected = SaleShipped(
        event_id="e-1",
        merchant_sku="SKU",
        warehouse_id="WH",
        occurred_at=1_000,
        source="wms",
        qty=3,
        order_id=None,
    )
    assert expected == default_codec().decode(message)


@pytest.mark.parametrize("data", [b"", b"\xc3", MAGIC + bytes(7)])
def test_shorter_than_header_is_bad_header(data: bytes) -> None:
    """Fewer than 10 bytes: BadHeaderError saying the message is too short."""
    error = decode_error(data)
    assert BadHeaderError is type(error)
    assert "shorter than the 10-byte" in str(error)


@pytest.mark.parametrize("value", [None, "c301", 12])
def test_a_value_that_is_not_bytes_is_bad_header(value: object) -> None:
    """A tombstone (None) or another non-bytes value: BadHeaderError naming its type."""
    error = decode_error(value)  # type: ignore[arg-type]
    assert (BadHeaderError, f"expected bytes, got {type(value).__name__}") == (
        type(error),
        str(error),
    )


def test_wrong_magic_is_bad_header() -> None:
    """A message not starting with C3 01: BadHeaderError naming the bytes found."""
    error = decode_error(b"\xc3\x02" + header(SaleShipped)[2:] + ENVELOPE + b"\x06\x00")
    assert BadHeaderError is type(error)
    assert "starts with c302" in str(error)


def test_unknown_fingerprint() -> None:
    """A fingerprint of no known schema: UnknownSchemaError carrying the fingerprint."""
    fingerprint = bytes.fromhex("0102030405060708")
    error = decode_error(MAGIC + fingerprint + ENVELOPE)
    assert UnknownSchemaError is type(error)
    assert fingerprint == error.fingerprint
    assert "0102030405060708" in str(error)


@pytest.mark.parametrize(
    ("body", "expected_message"),
    [
        (ENVELOPE + varint(3), "field order_id at byte 28: the body ends inside this value"),
        (ENVELOPE[:5], "field merchant_sku at byte 14: length 3 exceeds the 0 bytes left"),
        (
            string("e-1") + varint(1 << 40) + b"SKU",
            "field merchant_sku at byte 14: length 1099511627776 exceeds the 3 bytes left",
        ),
        (string("e-1") + varint(-1) + b"SKU", "field merchant_sku at byte 14: negative length -1"),
        (
            ENVELOPE + b"\xff" * 10 + b"\x01" + b"\x00",
            "field qty at byte 27: varint longer than 10 bytes",
        ),
        (
            ENVELOPE + b"\xff" * 9 + b"\x7f" + b"\x00",
            "field qty at byte 27: varint exceeds 64 bits",
        ),
        (ENVELOPE + varint(3) + varint(2), "field order_id at byte 28: union index 2 outside 0..1"),
        (
            ENVELOPE + varint(3) + varint(-1),
            "field order_id at byte 28: union index -1 outside 0..1",
        ),
        (
            b"\x06e-\xff" + ENVELOPE[4:] + varint(3) + b"\x00",
            "field event_id at byte 10: string is not valid UTF-8 (invalid start byte)",
        ),
        (
            ENVELOPE + varint(3) + b"\x00" + b"\x00\x00",
            "2 bytes left after the record ends at byte 29",
        ),
    ],
    ids=[
        "truncated",
        "string-past-end",
        "absurd-length",
        "negative-length",
        "overlong-varint",
        "varint-over-64-bits",
        "union-index",
        "negative-union-index",
        "invalid-utf8",
        "trailing",
    ],
)
def test_malformed_sale_shipped_body(body: bytes, expected_message: str) -> None:
    """A bad body: MalformedBodyError naming the record, the field, the byte and the fault."""
    error = decode_error(header(SaleShipped) + body)
    assert MalformedBodyError is type(error)
    assert "SaleShipped: " + expected_message == str(error)


@pytest.mark.parametrize("index", [2, -1, 1 << 62])
def test_enum_index_out_of_range(index: int) -> None:
    """An enum index outside the symbols (negative too) is malformed, not the last symbol."""
    body = ENVELOPE + string("shop") + string("SKU-1") + varint(index)
    error = decode_error(header(MappingChanged) + body)
    assert MalformedBodyError is type(error)
    assert f"field action at byte 38: enum index {index} outside 0..1" in str(error)


def test_array_count_beyond_the_bytes_left() -> None:
    """An array block claiming 2^40 items is rejected before reading any, not allocated."""
    body = ENVELOPE + varint(1 << 40) + string("a") + b"\x00"
    error = decode_error(header(PushNowRequested) + body)
    assert MalformedBodyError is type(error)
    assert "block of 1099511627776 items cannot fit in the 3 bytes left" in str(error)


def test_decode_error_chains_the_low_level_cause() -> None:
    """The low-level reason stays available as __cause__ for debugging."""
    error = decode_error(header(SaleShipped) + ENVELOPE[:5])
    assert error.__cause__ is not None
