"""The schema files keep their contract: fully compatible history, one record per reason, docs."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import avro.schema
import pytest
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from stocksync.domain.events import EVENT_TYPES, MappingAction, OrderStatus, Reason
from stocksync.schemas.fingerprint import canonical_form
from stocksync.schemas.schema_files import (
    EVENT_NAMESPACE,
    current_event_schemas,
    reason_schema,
    released_event_schemas,
)

CURRENT = current_event_schemas()
RELEASED = released_event_schemas()
NAMES = [event_type.__name__ for event_type in EVENT_TYPES]
RELEASED_PAIRS = [
    (name, version) for name in sorted(RELEASED) for version in sorted(RELEASED[name])
]
ENVELOPE = [
    ("event_id", "string"),
    ("merchant_sku", "string"),
    ("warehouse_id", "string"),
    ("occurred_at", {"type": "long", "logicalType": "timestamp-millis"}),
    ("source", "string"),
]


def compatibility(reader: dict[str, Any], writer: dict[str, Any]) -> SchemaCompatibilityType:
    """Apache avro's verdict: can ``reader`` read everything ``writer`` writes?"""
    return (
        ReaderWriterCompatibilityChecker()
        .get_compatibility(
            avro.schema.parse(json.dumps(reader)), avro.schema.parse(json.dumps(writer))
        )
        .compatibility
    )


@pytest.mark.parametrize(("name", "version"), RELEASED_PAIRS, ids=lambda v: str(v))
def test_current_reads_every_released_version(name: str, version: int) -> None:
    """Backward: the current schema reads messages of every released version of its record."""
    assert SchemaCompatibilityType.compatible == compatibility(
        CURRENT[name], RELEASED[name][version]
    )


@pytest.mark.parametrize(("name", "version"), RELEASED_PAIRS, ids=lambda v: str(v))
def test_every_released_version_reads_current(name: str, version: int) -> None:
    """Forward: every released version reads messages of the current schema."""
    assert SchemaCompatibilityType.compatible == compatibility(
        RELEASED[name][version], CURRENT[name]
    )


@pytest.mark.parametrize("name", NAMES)
def test_current_schema_is_a_released_version(name: str) -> None:
    """The current schema equals (canonical form) one released version: changes are released."""
    released_forms = {canonical_form(schema) for schema in RELEASED.get(name, {}).values()}
    assert canonical_form(CURRENT[name]) in released_forms


def test_released_versions_are_numbered_from_one() -> None:
    """history/<Record>/ holds v1..vN without gaps, and only for event records."""
    assert sorted(NAMES) == sorted(RELEASED)
    for name, versions in RELEASED.items():
        assert list(range(1, len(versions) + 1)) == list(versions), name


def test_a_new_field_without_default_is_detected() -> None:
    """The check can fail: adding a field with no default breaks reading old messages."""
    changed = copy.deepcopy(CURRENT["SaleShipped"])
    changed["fields"].append({"name": "carrier", "type": "string"})
    assert SchemaCompatibilityType.incompatible == compatibility(
        changed, RELEASED["SaleShipped"][1]
    )
    assert SchemaCompatibilityType.compatible == compatibility(RELEASED["SaleShipped"][1], changed)


def test_a_removed_enum_symbol_is_detected() -> None:
    """The check can fail the other way: an old reader cannot read a new enum symbol."""
    changed = copy.deepcopy(CURRENT["OrderSynced"])
    changed["fields"][-1]["type"]["symbols"].append("SHIPPED")
    assert SchemaCompatibilityType.incompatible == compatibility(
        RELEASED["OrderSynced"][1], changed
    )


def test_one_record_per_event_type_and_reason() -> None:
    """avro/ holds exactly the 19 event records, named after EVENT_TYPES, one per Reason."""
    assert sorted(NAMES) == sorted(CURRENT)
    assert list(Reason) == [event_type.REASON for event_type in EVENT_TYPES]


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_record_fields_follow_the_dataclass(event_type: type) -> None:
    """Namespace io.stocksync.events; the envelope first, in order; then the class's fields."""
    schema = CURRENT[event_type.__name__]
    assert (EVENT_NAMESPACE, "record") == (schema["namespace"], schema["type"])
    assert ENVELOPE == [(field["name"], field["type"]) for field in schema["fields"][:5]]
    assert [field.name for field in dataclasses.fields(event_type)] == [
        field["name"] for field in schema["fields"]
    ]


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.__name__)
def test_record_and_fields_are_documented(event_type: type) -> None:
    """Every record doc names its reason symbol (and trigger number); every field has a doc."""
    schema = CURRENT[event_type.__name__]
    number = event_type.REASON.trigger_number
    kind = f"trigger {number}" if number else "extra event"
    expected_start = f"Reason {event_type.REASON.value} ({kind}"
    assert expected_start == schema["doc"][: len(expected_start)]
    assert [] == [field["name"] for field in schema["fields"] if not field.get("doc")]


def test_optional_fields_and_store_ids_have_defaults() -> None:
    """Optional fields are ["null","string"] defaulting to null; store_ids defaults to []."""
    optional = {
        (name, field["name"]): field.get("default", "absent")
        for name, schema in CURRENT.items()
        for field in schema["fields"]
        if isinstance(field["type"], list) or field["name"] == "store_ids"
    }
    assert {
        ("StockReceivedManually", "note"): None,
        ("ReturnReceivedManually", "order_id"): None,
        ("StockRemovedManually", "note"): None,
        ("SaleShipped", "order_id"): None,
        ("PushNowRequested", "store_ids"): [],
    } == optional


def test_inline_enums_match_the_domain() -> None:
    """OrderStatus and MappingAction are io.stocksync.events enums with the domain's symbols."""
    enums = {
        field["type"]["name"]: (field["type"]["namespace"], field["type"]["symbols"])
        for schema in CURRENT.values()
        for field in schema["fields"]
        if isinstance(field["type"], dict) and field["type"].get("type") == "enum"
    }
    assert {
        "OrderStatus": (EVENT_NAMESPACE, [member.value for member in OrderStatus]),
        "MappingAction": (EVENT_NAMESPACE, [member.value for member in MappingAction]),
    } == enums


def test_reason_enum_schema_lists_the_19_symbols_in_order() -> None:
    """avro/Reason.avsc is io.stocksync.Reason with the Reason symbols in enum order."""
    schema = reason_schema()
    assert ("enum", "Reason", "io.stocksync") == (
        schema["type"],
        schema["name"],
        schema["namespace"],
    )
    assert [reason.value for reason in Reason] == schema["symbols"]
