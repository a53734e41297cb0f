"""Parsing Canonical Form and CRC-64-AVRO (Rabin) fingerprints, per the Avro spec.

Computed once per schema when the codec loads: never per message.

Implementations disagree on one case our schemas contain: a primitive with attributes, such as
``{"type": "long", "logicalType": "timestamp-millis"}``. The spec ([STRIP] then [PRIMITIVES]),
Java and fastavro reduce it to ``"long"``; the Apache Python package (avro 1.12) keeps
``{"type":"long"}``, so its fingerprint of the same schema differs. ``canonical_form`` follows the
spec; ``apache_python_canonical_form`` reproduces the Python package so that the codec can also
recognise headers that package computes.
"""

from __future__ import annotations

import json
from typing import Any

EMPTY_64 = 0xC15D213AA4D7A795  # the spec's EMPTY: the fingerprint of no bytes

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})


def _make_table() -> tuple[int, ...]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY_64 & -(fp & 1))
        table.append(fp)
    return tuple(table)


_TABLE = _make_table()


def crc64_avro(data: bytes) -> int:
    """The spec's reference algorithm: the 64-bit Rabin fingerprint of ``data``."""
    fp = EMPTY_64
    for byte in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ byte) & 0xFF]
    return fp


def fingerprint_bytes(canonical: str) -> bytes:
    """The 8 fingerprint bytes of a single-object header: CRC-64-AVRO, little-endian."""
    return crc64_avro(canonical.encode("utf-8")).to_bytes(8, "little")


def schema_fingerprint(schema: Any) -> bytes:
    """The header fingerprint of a schema (JSON), from its spec canonical form."""
    return fingerprint_bytes(canonical_form(schema))


def canonical_form(schema: Any) -> str:
    """The schema's Parsing Canonical Form as the spec (and Java, fastavro) defines it."""
    return _canonical(schema, keep_annotated_primitives=False)


def apache_python_canonical_form(schema: Any) -> str:
    """The canonical form the Apache ``avro`` Python package computes (see the module doc)."""
    return _canonical(schema, keep_annotated_primitives=True)


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # [STRINGS]: no escapes, UTF-8


def _fullname(name: str, namespace: str) -> str:
    return name if "." in name or not namespace else namespace + "." + name


def _member(key: str, value: str) -> str:
    return f'"{key}":{value}'


def _obj(*members: str) -> str:
    return "{" + ",".join(members) + "}"


def _canonical(schema: Any, keep_annotated_primitives: bool) -> str:
    """[PRIMITIVES], [FULLNAMES], [STRIP], [ORDER], [STRINGS], [WHITESPACE] of the spec."""

    def canonical(node: Any, namespace: str) -> str:
        if isinstance(node, str):
            return _string(node if node in _PRIMITIVES else _fullname(node, namespace))
        if isinstance(node, list):
            return "[" + ",".join(canonical(branch, namespace) for branch in node) + "]"
        kind = node["type"]
        if not isinstance(kind, str):
            return canonical(kind, namespace)  # {"type": {...}} or {"type": [...]}
        if kind in _PRIMITIVES:
            if keep_annotated_primitives and len(node) > 1:
                return _obj(_member("type", _string(kind)))
            return _string(kind)
        if kind == "array":
            return _obj(
                _member("type", '"array"'), _member("items", canonical(node["items"], namespace))
            )
        if kind == "map":
            return _obj(
                _member("type", '"map"'), _member("values", canonical(node["values"], namespace))
            )
        if kind not in _NAMED:
            return canonical(kind, namespace)  # {"type": "SomeName"}
        name = node["name"]
        own_namespace = name.rpartition(".")[0] if "." in name else node.get("namespace", namespace)
        head = (
            _member("name", _string(_fullname(name, own_namespace))),
            _member("type", _string(kind)),
        )
        if kind == "enum":
            symbols = ",".join(_string(symbol) for symbol in node["symbols"])
            return _obj(*head, _member("symbols", "[" + symbols + "]"))
        if kind == "fixed":
            return _obj(*head, _member("size", str(int(node["size"]))))
        fields = ",".join(
            _obj(
                _member("name", _string(field["name"])),
                _member("type", canonical(field["type"], own_namespace)),
            )
            for field in node["fields"]
        )
        return _obj(*head, _member("fields", "[" + fields + "]"))

    return canonical(schema, "")
