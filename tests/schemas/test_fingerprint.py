"""CRC-64-AVRO fingerprints and canonical forms agree with fastavro and with Apache avro."""

from __future__ import annotations

import json
from typing import Any

import avro.schema
import fastavro.schema
import pytest

from stocksync.domain.events import EVENT_TYPES
from stocksync.schemas.codec import default_codec
from stocksync.schemas.fingerprint import (
    EMPTY_64,
    apache_python_canonical_form,
    canonical_form,
    crc64_avro,
    fingerprint_bytes,
    schema_fingerprint,
)
from stocksync.schemas.schema_files import (
    current_event_schemas,
    reason_schema,
    released_event_schemas,
)


def all_schemas() -> list[tuple[str, Any]]:
    schemas = [("current/" + name, schema) for name, schema in current_event_schemas().items()]
    for name, versions in released_event_schemas().items():
        schemas.extend((f"history/{name}/v{v}", schema) for v, schema in versions.items())
    return schemas + [("Reason", reason_schema())]


ALL = all_schemas()
IDS = [label for label, _ in ALL]


def without_logical_types(schema: Any) -> Any:
    """The same wire schema with every logicalType attribute dropped."""
    if isinstance(schema, dict):
        return {k: without_logical_types(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [without_logical_types(item) for item in schema]
    return schema


def test_empty_input_gives_the_spec_empty_constant() -> None:
    """The fingerprint of no bytes is the spec's EMPTY, c15d213aa4d7a795."""
    assert 0xC15D213AA4D7A795 == crc64_avro(b"") == EMPTY_64


def test_canonical_form_of_order_synced_follows_the_spec() -> None:
    """Full names, no docs or defaults, the logical type reduced to its primitive, fixed order."""
    expected = (
        '{"name":"io.stocksync.events.OrderSynced","type":"record","fields":['
        '{"name":"event_id","type":"string"},{"name":"merchant_sku","type":"string"},'
        '{"name":"warehouse_id","type":"string"},{"name":"occurred_at","type":"long"},'
        '{"name":"source","type":"string"},{"name":"order_id","type":"string"},'
        '{"name":"store_id","type":"string"},{"name":"qty","type":"long"},'
        '{"name":"order_status","type":{"name":"io.stocksync.events.OrderStatus","type":"enum",'
        '"symbols":["NEW","CANCELLED"]}}]}'
    )
    assert expected == canonical_form(current_event_schemas()["OrderSynced"])


@pytest.mark.parametrize(("label", "schema"), ALL, ids=IDS)
def test_canonical_form_and_fingerprint_match_fastavro(label: str, schema: Any) -> None:
    """Our canonical form and header bytes equal fastavro's (its hex is the little-endian bytes)."""
    fastavro_canonical = fastavro.schema.to_parsing_canonical_form(schema)
    assert fastavro_canonical == canonical_form(schema)
    assert fastavro.schema.fingerprint(fastavro_canonical, "CRC-64-AVRO") == (
        schema_fingerprint(schema).hex()
    )


@pytest.mark.parametrize(("label", "schema"), ALL, ids=IDS)
def test_byte_order_matches_apache_avro(label: str, schema: Any) -> None:
    """Where Apache avro canonicalises like the spec, its fingerprint bytes equal ours exactly."""
    plain = without_logical_types(schema)
    assert avro.schema.parse(json.dumps(plain)).fingerprint() == schema_fingerprint(plain)
    assert schema_fingerprint(schema) == schema_fingerprint(plain)  # logicalType is not wire


@pytest.mark.parametrize(("label", "schema"), ALL, ids=IDS)
def test_apache_python_variant_is_reproduced(label: str, schema: Any) -> None:
    """Apache avro's own canonical form and fingerprint (logical types kept) are reproduced."""
    parsed = avro.schema.parse(json.dumps(schema))
    assert parsed.canonical_form == apache_python_canonical_form(schema)
    assert parsed.fingerprint() == fingerprint_bytes(apache_python_canonical_form(schema))


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_codec_knows_both_fingerprints_of_each_record(event_type: type) -> None:
    """decode() accepts the spec fingerprint and Apache avro's variant, both for this record."""
    schema = current_event_schemas()[event_type.__name__]
    apache = avro.schema.parse(json.dumps(schema)).fingerprint()
    known = default_codec().known_fingerprints()
    assert schema_fingerprint(schema) == default_codec().writer_fingerprint(event_type)
    assert (event_type.__name__, event_type.__name__) == (
        known[schema_fingerprint(schema)],
        known[apache],
    )
