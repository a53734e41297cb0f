"""decode(encode(e)) == e for every event; decode fails with nothing but EventDecodeError."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from stocksync.domain.events import EVENT_TYPES, StockEvent
from stocksync.schemas.codec import HEADER_SIZE, MAGIC, default_codec
from stocksync.schemas.errors import EventDecodeError
from tests.strategies import event_of, stock_events


def _decodes_to_event_or_decode_error(data: bytes) -> None:
    """A valid, re-encodable event or EventDecodeError: never another exception."""
    codec = default_codec()
    try:
        event = codec.decode(data)
    except EventDecodeError:
        return
    assert isinstance(event, StockEvent)
    codec.encode(event)  # a decoded event is always a valid event


@given(stock_events())
def test_decode_of_encode_is_identity(event: StockEvent) -> None:
    """Any event of the 19 types survives encode then decode unchanged, with domain types."""
    decoded = default_codec().decode(default_codec().encode(event))
    assert event == decoded
    assert type(event) is type(decoded)
    for field in dataclasses.fields(event):
        assert type(getattr(event, field.name)) is type(getattr(decoded, field.name))


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
@settings(max_examples=20)
@given(data=st.data())
def test_each_event_type_roundtrips(event_type: type[StockEvent], data: st.DataObject) -> None:
    """Each of the 19 types on its own survives encode then decode (no type left to chance)."""
    event = data.draw(event_of(event_type))
    assert event == default_codec().decode(default_codec().encode(event))


@given(st.binary(max_size=200))
@example(b"")
@example(MAGIC)
@example(MAGIC + bytes(8))
def test_random_bytes_give_an_event_or_decode_error(data: bytes) -> None:
    """Arbitrary bytes decode to an event or raise EventDecodeError."""
    _decodes_to_event_or_decode_error(data)


@given(st.sampled_from(EVENT_TYPES), st.binary(max_size=120))
def test_random_body_after_a_known_header(event_type: type[StockEvent], body: bytes) -> None:
    """A known header followed by arbitrary bytes decodes to an event or raises EventDecodeError."""
    header = MAGIC + default_codec().writer_fingerprint(event_type)
    _decodes_to_event_or_decode_error(header + body)


@given(stock_events(), st.data())
def test_every_truncation_is_a_decode_error(event: StockEvent, data: st.DataObject) -> None:
    """A message cut anywhere before its end raises EventDecodeError."""
    message = default_codec().encode(event)
    cut = data.draw(st.integers(min_value=0, max_value=len(message) - 1), label="cut")
    try:
        default_codec().decode(message[:cut])
    except EventDecodeError:
        return
    raise AssertionError("a truncated message decoded")


@given(stock_events(), st.data())
def test_bit_flips_give_an_event_or_decode_error(event: StockEvent, data: st.DataObject) -> None:
    """Flipping bits of a valid message gives an event or EventDecodeError, never a crash."""
    message = bytearray(default_codec().encode(event))
    positions = data.draw(
        st.lists(st.integers(min_value=0, max_value=len(message) * 8 - 1), min_size=1, max_size=3),
        label="bits",
    )
    for position in positions:
        message[position // 8] ^= 1 << (position % 8)
    _decodes_to_event_or_decode_error(bytes(message))


@given(stock_events(), st.data())
def test_body_flips_keep_the_header_known(event: StockEvent, data: st.DataObject) -> None:
    """Flipping a body bit (header intact) gives an event or EventDecodeError."""
    message = bytearray(default_codec().encode(event))
    body_bits = (len(message) - HEADER_SIZE) * 8
    position = HEADER_SIZE * 8 + data.draw(st.integers(min_value=0, max_value=body_bits - 1))
    message[position // 8] ^= 1 << (position % 8)
    _decodes_to_event_or_decode_error(bytes(message))


def test_decode_accepts_bytearray_and_memoryview() -> None:
    """Kafka clients hand over bytes-like objects: bytearray and memoryview decode too."""
    event = EVENT_TYPES[14](
        event_id="e", merchant_sku="m", warehouse_id="w", occurred_at=0, source="s"
    )
    message = default_codec().encode(event)
    assert [event, event] == [
        default_codec().decode(bytearray(message)),
        default_codec().decode(memoryview(message)),
    ]
