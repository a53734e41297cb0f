"""Single-object messages written by the Apache `avro` package: a producer other than ours."""

from __future__ import annotations

import io
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from importlib import resources

import avro.io
import avro.schema

from stocksync.domain.events import StockEvent

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def apache_single_object(event: StockEvent) -> bytes:
    """`C3 01` + Apache avro's own CRC-64-AVRO fingerprint (little-endian) + its binary body."""
    name = type(event).__name__
    text = resources.files("stocksync.schemas").joinpath(f"avro/{name}.avsc").read_text()
    schema = avro.schema.parse(text)
    body = io.BytesIO()
    datum = {key: (value.value if hasattr(value, "value") else value)
             for key, value in asdict(event).items()}
    # Apache avro writes timestamp-millis from a datetime, not from epoch milliseconds.
    datum["occurred_at"] = EPOCH + timedelta(milliseconds=event.occurred_at)
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(body))
    # avro's fingerprint() returns the 8 bytes in the header's (little-endian) order already.
    return b"\xc3\x01" + schema.fingerprint("CRC-64-AVRO") + body.getvalue()
