"""Straight-line Avro encoders for the flat records stocksync writes at volume (sync records).

`binary_encoder` calls a writer per field, which validates as it goes; that suits events from
outside. A sync record is written once or twice for every listing a trigger concerns, by
stocksync itself from typed domain objects, and that per-field call was most of its cost. This
module compiles a record schema into one generated function whose body writes field after field
inline, reading each value with an attribute expression of the domain object.

Supported field types: string, int, long, enums (bound to domain enum classes) and unions of null
with string. A value of the wrong type raises `StraightWriteError` naming the field.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from .errors import SchemaContractError
from .resolving_decoder import parse_schema

_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1


class StraightWriteError(ValueError):
    """A value that does not fit its field's Avro type."""


def varint(out: bytearray, n: int) -> None:
    """An already zigzagged (non-negative) long, 7 bits a byte."""
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def compile_straight_writer(
    schema: Mapping[str, Any],
    header: bytes,
    expressions: Mapping[str, str],
    enum_types: Mapping[str, type[enum.Enum]],
) -> Callable[[Any], bytes]:
    """A function encoding an object as `header` + the Avro body of the flat record `schema`.

    `expressions` maps a field to the Python expression of `r` (the object) that gives its
    value; a field not listed reads `r.<field>`.
    """
    node = parse_schema(dict(schema))
    if not isinstance(node, dict) or node["type"] != "record":
        raise SchemaContractError(f"{schema.get('name')} is not a record schema")
    env: dict[str, Any] = {"_varint": varint, "_header": header, "_Error": StraightWriteError}
    lines = ["def write(r):", "    out = bytearray(_header)", "    field = None", "    try:"]
    for position, field in enumerate(node["fields"]):
        name = field["name"]
        value = expressions.get(name, f"r.{name}")
        lines.append(f"        field = {name!r}")
        lines += [f"        {line}" for line in _field_lines(field["type"], value, position,
                                                              env, enum_types)]
    lines += [
        "    except (AttributeError, TypeError, KeyError, OverflowError) as exc:",
        "        raise _Error(f'{field}: {type(exc).__name__}: {exc}') from None",
        "    return bytes(out)",
    ]
    exec("\n".join(lines), env)  # noqa: S102 - our own generated source, from our own schema
    return env["write"]  # type: ignore[no-any-return]


def _field_lines(kind: Any, value: str, position: int, env: dict[str, Any],
                 enum_types: Mapping[str, type[enum.Enum]]) -> list[str]:
    if kind == "string":
        return [f"v = ({value}).encode()", *_length_prefixed()]
    if kind in ("long", "int"):
        low, high = (_INT_MIN, _INT_MAX) if kind == "int" else (_LONG_MIN, _LONG_MAX)
        return [
            f"v = {value}",
            "if v.__class__ is not int:",
            "    raise TypeError(f'expected int, got {type(v).__name__}')",
            f"if v < {low} or v > {high}:",
            f"    raise OverflowError(f'{{v}} is outside the Avro {kind} range')",
            "n = (v << 1) ^ (v >> 63)",
            "if n < 128:",
            "    out.append(n)",
            "else:",
            "    _varint(out, n)",
        ]
    if isinstance(kind, list) and sorted(map(str, kind)) == ["null", "string"]:
        null_byte, value_byte = kind.index("null") << 1, kind.index("string") << 1
        return [
            f"v = {value}",
            "if v is None:",
            f"    out.append({null_byte})",
            "else:",
            f"    out.append({value_byte})",
            "    v = v.encode()",
            *(f"    {line}" for line in _length_prefixed()),
        ]
    if isinstance(kind, dict) and kind.get("type") == "enum":
        short_name = kind["name"].rpartition(".")[2]
        enum_type = enum_types.get(short_name)
        if enum_type is None:
            raise SchemaContractError(f"no domain enum for Avro enum {kind['name']}")
        symbols = kind["symbols"]
        if len(symbols) > 64:
            raise SchemaContractError(f"enum {kind['name']} has more than 64 symbols")
        # An index below 64 zigzags to one byte.
        table = f"_enum_{position}"
        env[table] = {enum_type(symbol): index << 1 for index, symbol in enumerate(symbols)}
        return [f"out.append({table}[{value}])"]
    raise SchemaContractError(f"the straight writer cannot write {kind!r}")


def _length_prefixed() -> list[str]:
    return ["n = len(v) << 1", "if n < 128:", "    out.append(n)", "else:",
            "    _varint(out, n)", "out += v"]
