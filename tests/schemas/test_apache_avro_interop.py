"""Our codec and the Apache ``avro`` package read each other's bytes, with schema resolution."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
import json
import typing
from typing import Any

import avro.io
import avro.schema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.events import (
    EVENT_TYPES,
    PushNowRequested,
    SaleShipped,
    StockEvent,
)
from stocksync.schemas.codec import HEADER_SIZE, MAGIC, EventCodec, default_codec
from stocksync.schemas.errors import SchemaContractError, UnknownSchemaError
from stocksync.schemas.fingerprint import schema_fingerprint
from stocksync.schemas.schema_files import current_event_schemas
from tests.strategies import stock_events

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
# Apache avro writes timestamp-millis from a datetime: keep times within years 1-9999.
DATETIME_MS = st.integers(
    min_value=(dt.datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // dt.timedelta(milliseconds=1),
    max_value=(dt.datetime(9999, 12, 31, tzinfo=UTC) - EPOCH) // dt.timedelta(milliseconds=1),
)
ENVELOPE: dict[str, Any] = dict(
    event_id="e-1",
    merchant_sku="SKU",
    warehouse_id="WH",
    occurred_at=1_714_564_800_000,
    source="wms",
)


def apache_schema(schema: dict[str, Any]) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(schema))


def to_apache_datum(event: StockEvent) -> dict[str, Any]:
    """The event as the Apache package's datum: symbols, lists, a datetime for occurred_at."""
    datum: dict[str, Any] = {}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if field.name == "occurred_at":
            value = EPOCH + dt.timedelta(milliseconds=value)
        elif isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        datum[field.name] = value
    return datum


def apache_body(schema: avro.schema.Schema, datum: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buffer))
    return buffer.getvalue()


def apache_read(body: bytes, schema: avro.schema.Schema) -> Any:
    return avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(body)))


@settings(max_examples=60)
@given(stock_events(occurred_at=DATETIME_MS))
def test_apache_written_message_decodes(event: StockEvent) -> None:
    """Body by Apache's DatumWriter, header with Apache's own fingerprint: our decode reads it."""
    schema = apache_schema(default_codec().schema_for(type(event)))
    message = MAGIC + schema.fingerprint() + apache_body(schema, to_apache_datum(event))
    assert event == default_codec().decode(message)


@settings(max_examples=60)
@given(stock_events(occurred_at=DATETIME_MS))
def test_our_body_reads_with_apache(event: StockEvent) -> None:
    """Our message minus its 10-byte header reads with Apache's DatumReader as the same datum."""
    schema = apache_schema(default_codec().schema_for(type(event)))
    body = default_codec().encode(event)[HEADER_SIZE:]
    assert to_apache_datum(event) == apache_read(body, schema)


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_our_header_is_the_spec_fingerprint_of_the_writer(event_type: type[StockEvent]) -> None:
    """Our header is C3 01 + the spec fingerprint of the schema that reads the body."""
    schema = current_event_schemas()[event_type.__name__]
    assert (
        MAGIC + schema_fingerprint(schema)
        == default_codec().encode(_minimal_event(event_type))[:HEADER_SIZE]
    )


def _minimal_event(event_type: type[StockEvent]) -> StockEvent:
    """An event of the type: the envelope, then the first symbol, "" or 0 for required fields."""
    hints = typing.get_type_hints(event_type)
    values: dict[str, Any] = dict(ENVELOPE)
    for field in dataclasses.fields(event_type):
        if field.name in values or field.default is not dataclasses.MISSING:
            continue
        hint = hints[field.name]
        is_enum = isinstance(hint, type) and issubclass(hint, enum.Enum)
        values[field.name] = next(iter(hint)) if is_enum else hint()
    return event_type(**values)


# --- schema resolution: writers other than the current schema ----------------------------------


def modified_schema(
    record: str,
    fields: list[dict[str, Any]] | None = None,
    drop: tuple[str, ...] = (),
    retype: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The current schema of ``record`` with fields dropped, retyped or appended."""
    schema = default_codec().schema_for(next(t for t in EVENT_TYPES if t.__name__ == record))
    schema["fields"] = [
        dict(field, type=(retype or {}).get(field["name"], field["type"]))
        for field in schema["fields"]
        if field["name"] not in drop
    ] + (fields or [])
    return schema


def single_object(schema: dict[str, Any], datum: dict[str, Any]) -> bytes:
    """A message written entirely by Apache avro with ``schema`` as the writer."""
    parsed = apache_schema(schema)
    return MAGIC + schema_fingerprint(schema) + apache_body(parsed, datum)


def envelope_datum() -> dict[str, Any]:
    return dict(ENVELOPE, occurred_at=EPOCH + dt.timedelta(milliseconds=ENVELOPE["occurred_at"]))


def test_older_writer_without_optional_field_reads_with_default() -> None:
    """An older SaleShipped writer without order_id (registered): order_id is null."""
    older = modified_schema("SaleShipped", drop=("order_id",))
    message = single_object(older, dict(envelope_datum(), qty=3))
    codec = EventCodec(extra_writer_schemas=[older])
    assert SaleShipped(**ENVELOPE, qty=3, order_id=None) == codec.decode(message)


def test_older_writer_without_store_ids_reads_empty_tuple() -> None:
    """A PushNowRequested writer without store_ids: the [] default becomes the empty tuple."""
    older = modified_schema("PushNowRequested", drop=("store_ids",))
    codec = EventCodec(extra_writer_schemas=[older])
    assert PushNowRequested(**ENVELOPE) == codec.decode(single_object(older, envelope_datum()))


def test_older_writer_with_int_qty_is_promoted_to_long() -> None:
    """A writer with qty as Avro int reads into the current long field."""
    older = modified_schema("SaleShipped", retype={"qty": "int"})
    message = single_object(older, dict(envelope_datum(), qty=-7, order_id="o-1"))
    codec = EventCodec(extra_writer_schemas=[older])
    assert SaleShipped(**ENVELOPE, qty=-7, order_id="o-1") == codec.decode(message)


def test_newer_writer_with_extra_field_is_skipped() -> None:
    """A newer writer with an extra field (and extra union branch) reads; the field is skipped."""
    newer = modified_schema(
        "SaleShipped",
        fields=[{"name": "carrier", "type": ["null", "string", "long"], "default": None}],
    )
    message = single_object(newer, dict(envelope_datum(), qty=3, order_id=None, carrier=42))
    codec = EventCodec(extra_writer_schemas=[newer])
    assert SaleShipped(**ENVELOPE, qty=3) == codec.decode(message)


def test_writer_without_a_required_field_is_refused_at_load() -> None:
    """A writer lacking qty (no default in the reader) cannot be registered: SchemaContractError."""
    broken = modified_schema("SaleShipped", drop=("qty",))
    with pytest.raises(SchemaContractError) as caught:
        EventCodec(extra_writer_schemas=[broken])
    assert "reader field io.stocksync.events.SaleShipped.qty has no default" in str(caught.value)


def test_unregistered_writer_is_unknown() -> None:
    """Without registration, the same older message is an unknown schema for the default codec."""
    older = modified_schema("SaleShipped", drop=("order_id",))
    message = single_object(older, dict(envelope_datum(), qty=3))
    with pytest.raises(UnknownSchemaError):
        default_codec().decode(message)
