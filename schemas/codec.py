"""Avro single-object encoding of stock events: ``C3 01``, fingerprint, body.

Wire format (Avro spec, "Single-object encoding"):
    bytes 0-1  the marker C3 01
    bytes 2-9  CRC-64-AVRO fingerprint of the writer schema's Parsing Canonical Form, little-endian
    bytes 10-  the Avro binary body of the record

Every schema is parsed, fingerprinted and compiled once, when the codec is built: encoding always
writes the current schema of the event's record; decoding looks the writer up by fingerprint among
the current and every released version and resolves it into the current schema of that record.
"""

from __future__ import annotations

import copy
import enum
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields as dataclass_fields
from typing import Any, NamedTuple

from stocksync.domain.events import EVENT_TYPES, MappingAction, OrderStatus, StockEvent

from .binary_encoder import FieldWriter, ValueMismatch, compile_record_writer
from .errors import (
    BadHeaderError,
    EventDecodeError,
    EventEncodeError,
    MalformedBodyError,
    SchemaContractError,
    UnknownSchemaError,
)
from .fingerprint import (
    apache_python_canonical_form,
    canonical_form,
    fingerprint_bytes,
    schema_fingerprint,
)
from .resolving_decoder import BodyError, Node, Reader, compile_reader, parse_schema
from .schema_files import Schema, current_event_schemas, released_event_schemas

__all__ = [
    "MAGIC",
    "HEADER_SIZE",
    "EventCodec",
    "default_codec",
    "EventDecodeError",
    "BadHeaderError",
    "UnknownSchemaError",
    "MalformedBodyError",
    "EventEncodeError",
]

MAGIC = b"\xc3\x01"
HEADER_SIZE = 10  # magic + 8 fingerprint bytes

# The Avro enums of the contract, by short name, and the domain enums that hold their symbols.
DOMAIN_ENUMS: dict[str, type[enum.Enum]] = {
    "OrderStatus": OrderStatus,
    "MappingAction": MappingAction,
}

_MISSING = object()
Convert = Callable[[Any], Any]


class _WritePlan(NamedTuple):
    record_name: str
    header: bytes
    fields: list[tuple[str, FieldWriter]]


class _ReadPlan(NamedTuple):
    record_name: str
    read: Reader
    build: Callable[[dict[str, Any]], StockEvent]


class EventCodec:
    """Encodes and decodes stock events; build once (``default_codec()``) and share."""

    def __init__(self, extra_writer_schemas: Iterable[Mapping[str, Any]] = ()) -> None:
        """Load every current and released event schema.

        ``extra_writer_schemas``: further writer schemas to accept when decoding (for example a
        producer's schema not yet released here); each is resolved into the current schema of the
        record with the same name.
        """
        current = current_event_schemas()
        self._schemas: dict[type[StockEvent], Schema] = {}
        self._fingerprints: dict[type[StockEvent], bytes] = {}
        self._write_plans: dict[type[StockEvent], _WritePlan] = {}
        self._read_plans: dict[bytes, _ReadPlan] = {}
        self._canonical_by_fingerprint: dict[bytes, str] = {}
        builders: dict[str, Callable[[dict[str, Any]], StockEvent]] = {}

        for event_type in EVENT_TYPES:
            name = event_type.__name__
            schema = current.get(name)
            if schema is None:
                raise SchemaContractError(f"no schema avro/{name}.avsc for {name}")
            _check_fields_match(event_type, schema)
            fingerprint = schema_fingerprint(schema)
            self._schemas[event_type] = schema
            self._fingerprints[event_type] = fingerprint
            self._write_plans[event_type] = _WritePlan(
                name, MAGIC + fingerprint, compile_record_writer(schema, DOMAIN_ENUMS)
            )
            builders[name] = _event_builder(event_type, parse_schema(schema))

        writers: list[tuple[str, Schema]] = [(name, schema) for name, schema in current.items()]
        for name, versions in released_event_schemas().items():
            writers.extend((name, schema) for schema in versions.values())
        writers.extend((_short_name(schema), dict(schema)) for schema in extra_writer_schemas)
        for name, writer in writers:
            if name not in builders:
                raise SchemaContractError(f"writer schema {name} names no current event record")
            self._add_reader(name, writer, current[name], builders[name])

    def _add_reader(
        self,
        name: str,
        writer: Schema,
        reader: Schema,
        build: Callable[[dict[str, Any]], StockEvent],
    ) -> None:
        canonical = canonical_form(writer)
        # The spec's fingerprint, and the one the Apache Python package computes for the same
        # schema (it differs when the schema has a logical type): both name this writer.
        fingerprints = {
            fingerprint_bytes(canonical),
            fingerprint_bytes(apache_python_canonical_form(writer)),
        }
        new = set()
        for fingerprint in fingerprints:
            known = self._canonical_by_fingerprint.get(fingerprint)
            if known is None:
                new.add(fingerprint)
            elif known != canonical:
                raise SchemaContractError(f"fingerprint collision: {fingerprint.hex()}")
        if not new:
            return  # the same writer schema, listed twice (current == a released version)
        try:
            read = compile_reader(writer, reader)
        except SchemaContractError as exc:
            raise SchemaContractError(f"{name} ({canonical}): {exc}") from None
        for fingerprint in new:
            self._canonical_by_fingerprint[fingerprint] = canonical
            self._read_plans[fingerprint] = _ReadPlan(name, read, build)

    def encode(self, event: StockEvent) -> bytes:
        """The event as a single-object-encoded message written with its current schema."""
        plan = self._write_plans.get(type(event))
        if plan is None:
            raise EventEncodeError(type(event).__name__, None, "not a stock event type")
        out = bytearray(plan.header)
        for name, write in plan.fields:
            value = getattr(event, name, _MISSING)
            if value is _MISSING:
                raise EventEncodeError(plan.record_name, name, "missing")
            try:
                write(out, value)
            except ValueMismatch as exc:
                raise EventEncodeError(plan.record_name, name, str(exc)) from exc
        return bytes(out)

    def decode(self, data: bytes) -> StockEvent:
        """The event in a single-object-encoded message; EventDecodeError for any other bytes."""
        if type(data) is not bytes:
            if not isinstance(data, (bytearray, memoryview)):
                # A Kafka tombstone (None) or a wrong argument: still a dead letter, not a crash.
                raise BadHeaderError(f"expected bytes, got {type(data).__name__}")
            data = bytes(data)
        if len(data) < HEADER_SIZE:
            raise BadHeaderError(
                f"message of {len(data)} bytes is shorter than the {HEADER_SIZE}-byte"
                " single-object header"
            )
        if data[0] != 0xC3 or data[1] != 0x01:
            raise BadHeaderError(
                f"message starts with {data[:2].hex()}, not the single-object marker c301"
            )
        plan = self._read_plans.get(data[2:HEADER_SIZE])
        if plan is None:
            raise UnknownSchemaError(data[2:HEADER_SIZE])
        try:
            record, end = plan.read(data, HEADER_SIZE)
        except BodyError as exc:
            raise MalformedBodyError(f"{plan.record_name}: {exc.describe()}") from exc
        if end != len(data):
            raise MalformedBodyError(
                f"{plan.record_name}: {len(data) - end} bytes left after the record ends"
                f" at byte {end}"
            )
        return plan.build(record)

    def schema_for(self, event_type: type[StockEvent]) -> Schema:
        """A copy of the current Avro schema (JSON) of ``event_type``."""
        return copy.deepcopy(self._schemas[event_type])

    def writer_fingerprint(self, event_type: type[StockEvent]) -> bytes:
        """The 8 header bytes that name the current schema of ``event_type``."""
        return self._fingerprints[event_type]

    def known_fingerprints(self) -> dict[bytes, str]:
        """Every fingerprint ``decode`` accepts -> the record name it resolves into."""
        return {fingerprint: plan.record_name for fingerprint, plan in self._read_plans.items()}


@functools.cache
def default_codec() -> EventCodec:
    """The codec of the shipped schemas, built on first use."""
    return EventCodec()


def _short_name(schema: Mapping[str, Any]) -> str:
    return str(schema.get("name", "")).rpartition(".")[2]


def _check_fields_match(event_type: type[StockEvent], schema: Schema) -> None:
    expected = [field.name for field in dataclass_fields(event_type)]
    actual = [field["name"] for field in schema["fields"]]
    if expected != actual:
        raise SchemaContractError(
            f"{event_type.__name__}: schema fields {actual} differ from the dataclass fields"
            f" {expected}"
        )


def _event_builder(
    event_type: type[StockEvent], reader: Node
) -> Callable[[dict[str, Any]], StockEvent]:
    """Turns a decoded record into the dataclass: domain enums, tuples for arrays."""
    converters = [
        (field["name"], convert)
        for field in reader["fields"]
        if (convert := _to_domain(field["type"])) is not None
    ]

    def build(record: dict[str, Any]) -> StockEvent:
        for name, convert in converters:
            record[name] = convert(record[name])
        return event_type(**record)

    return build


def _to_domain(node: Node) -> Convert | None:
    """How to turn a decoded value of ``node`` into its domain value; None when it already is."""
    if isinstance(node, str):
        return None
    if isinstance(node, list):
        inner = [convert for branch in node if (convert := _to_domain(branch)) is not None]
        if not inner:
            return None
        if len(inner) > 1 or "null" not in node or len(node) != 2:
            raise SchemaContractError(f"unsupported union for the event dataclasses: {node!r}")
        convert_branch = inner[0]
        return lambda value: None if value is None else convert_branch(value)
    kind = node["type"]
    if kind == "enum":
        domain_enum = DOMAIN_ENUMS[node["name"].rpartition(".")[2]]
        return {member.value: member for member in domain_enum}.__getitem__
    if kind == "array":
        convert_item = _to_domain(node["items"])
        if convert_item is None:
            return tuple
        return lambda items: tuple(map(convert_item, items))
    if kind == "map":
        convert_map_value = _to_domain(node["values"])
        if convert_map_value is None:
            return None
        return lambda values: {key: convert_map_value(value) for key, value in values.items()}
    raise SchemaContractError(f"unsupported type for the event dataclasses: {kind}")
