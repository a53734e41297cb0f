"""Avro binary encoders for the event records, compiled once per schema, validating as they write.

Each field encoder ``write(out, value)`` appends the value's Avro binary form to ``out`` or raises
``ValueMismatch`` saying what is wrong, so one pass both validates and encodes, with the field
named. Supported shapes are those the event contract uses: primitives, enums (bound to the domain
enum classes), arrays and maps of those, and unions of null with one of those.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable, Mapping
from typing import Any

from .errors import SchemaContractError
from .resolving_decoder import Node, parse_schema

FieldWriter = Callable[[bytearray, Any], None]

_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_FLOAT = struct.Struct("<f")
_DOUBLE = struct.Struct("<d")


class ValueMismatch(Exception):
    """A Python value that does not fit the field's Avro type."""


def write_long(out: bytearray, value: int) -> None:
    """Zigzag varint; ``value`` must already be within the signed 64-bit range."""
    n = (value << 1) ^ (value >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _type_name(value: Any) -> str:
    return type(value).__name__


def _write_null(out: bytearray, value: Any) -> None:
    if value is not None:
        raise ValueMismatch(f"expected null, got {_type_name(value)}")


def _write_boolean(out: bytearray, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValueMismatch(f"expected bool, got {_type_name(value)}")
    out.append(1 if value else 0)


def _integer_writer(low: int, high: int, label: str) -> FieldWriter:
    def write_integer(out: bytearray, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueMismatch(f"expected int, got {_type_name(value)}")
        if value < low or value > high:
            raise ValueMismatch(f"{value} is outside the {label} range")
        write_long(out, value)

    return write_integer


def _float_writer(packer: struct.Struct) -> FieldWriter:
    def write_float(out: bytearray, value: Any) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueMismatch(f"expected float, got {_type_name(value)}")
        try:
            out += packer.pack(value)
        except (OverflowError, struct.error) as exc:
            raise ValueMismatch(f"{value!r} does not fit: {exc}") from None

    return write_float


def _write_bytes(out: bytearray, value: Any) -> None:
    if not isinstance(value, (bytes, bytearray)):
        raise ValueMismatch(f"expected bytes, got {_type_name(value)}")
    write_long(out, len(value))
    out += value


def _write_string(out: bytearray, value: Any) -> None:
    if not isinstance(value, str):
        raise ValueMismatch(f"expected str, got {_type_name(value)}")
    try:
        encoded = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueMismatch(f"not encodable as UTF-8: {exc.reason}") from None
    write_long(out, len(encoded))
    out += encoded


_PRIMITIVE_WRITERS: dict[str, FieldWriter] = {
    "null": _write_null,
    "boolean": _write_boolean,
    "int": _integer_writer(_INT_MIN, _INT_MAX, "Avro int (32-bit)"),
    "long": _integer_writer(_LONG_MIN, _LONG_MAX, "Avro long (64-bit)"),
    "float": _float_writer(_FLOAT),
    "double": _float_writer(_DOUBLE),
    "bytes": _write_bytes,
    "string": _write_string,
}


def compile_record_writer(
    schema: Mapping[str, Any], enum_types: Mapping[str, type[enum.Enum]]
) -> list[tuple[str, FieldWriter]]:
    """(field name, writer) in schema order for a flat record schema.

    ``enum_types`` maps an Avro enum's short name to the domain enum class whose members it
    holds; the member's value is the symbol.
    """
    node = parse_schema(dict(schema))
    if not isinstance(node, dict) or node["type"] != "record":
        raise SchemaContractError(f"{schema.get('name')} is not a record schema")
    return [(field["name"], _compile(field["type"], enum_types)) for field in node["fields"]]


def _compile(node: Node, enum_types: Mapping[str, type[enum.Enum]]) -> FieldWriter:
    if isinstance(node, str):
        return _PRIMITIVE_WRITERS[node]
    if isinstance(node, list):
        return _compile_nullable(node, enum_types)
    kind = node["type"]
    if kind == "enum":
        return _compile_enum(node, enum_types)
    if kind == "array":
        return _compile_array(_compile(node["items"], enum_types))
    if kind == "map":
        return _compile_map(_compile(node["values"], enum_types))
    raise SchemaContractError(f"the event codec cannot write {kind} {node.get('name')}")


def _compile_nullable(
    branches: list[Node], enum_types: Mapping[str, type[enum.Enum]]
) -> FieldWriter:
    if len(branches) != 2 or "null" not in branches:
        raise SchemaContractError(f"only unions of null and one type are supported: {branches!r}")
    null_index = branches.index("null")
    value_index = 1 - null_index
    write_value = _compile(branches[value_index], enum_types)
    # Union indexes 0 and 1 are the zigzag varints 0x00 and 0x02.
    null_byte, value_byte = null_index << 1, value_index << 1

    def write_nullable(out: bytearray, value: Any) -> None:
        if value is None:
            out.append(null_byte)
        else:
            out.append(value_byte)
            write_value(out, value)

    return write_nullable


def _compile_enum(node: dict[str, Any], enum_types: Mapping[str, type[enum.Enum]]) -> FieldWriter:
    short_name = node["name"].rpartition(".")[2]
    enum_type = enum_types.get(short_name)
    if enum_type is None:
        raise SchemaContractError(f"no domain enum for Avro enum {node['name']}")
    symbols = [member.value for member in enum_type]
    if symbols != node["symbols"]:
        raise SchemaContractError(
            f"enum {node['name']} symbols {node['symbols']} differ from"
            f" {enum_type.__name__} {symbols}"
        )
    index_by_member = {member: index for index, member in enumerate(enum_type)}

    def write_enum(out: bytearray, value: Any) -> None:
        index = index_by_member.get(value) if isinstance(value, enum_type) else None
        if index is None:
            raise ValueMismatch(f"expected {enum_type.__name__}, got {value!r}")
        write_long(out, index)

    return write_enum


def _compile_array(write_item: FieldWriter) -> FieldWriter:
    def write_array(out: bytearray, value: Any) -> None:
        if not isinstance(value, (tuple, list)):
            raise ValueMismatch(f"expected a tuple, got {_type_name(value)}")
        if value:
            write_long(out, len(value))
            for position, item in enumerate(value):
                try:
                    write_item(out, item)
                except ValueMismatch as exc:
                    raise ValueMismatch(f"item {position}: {exc}") from None
        out.append(0)

    return write_array


def _compile_map(write_value: FieldWriter) -> FieldWriter:
    def write_map(out: bytearray, value: Any) -> None:
        if not isinstance(value, Mapping):
            raise ValueMismatch(f"expected a mapping, got {_type_name(value)}")
        if value:
            write_long(out, len(value))
            for key, item in value.items():
                try:
                    _write_string(out, key)
                    write_value(out, item)
                except ValueMismatch as exc:
                    raise ValueMismatch(f"key {key!r}: {exc}") from None
        out.append(0)

    return write_map
