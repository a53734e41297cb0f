"""CRC-64-AVRO (Rabin) fingerprints of a schema's Parsing Canonical Form, per the Avro spec.

Computed once per schema when the codec loads: never per message.
"""

from __future__ import annotations

import json
from typing import Any

from fastavro.schema import to_parsing_canonical_form

EMPTY_64 = 0xC15D213AA4D7A795  # the spec's EMPTY: the fingerprint of no bytes


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


def canonical_form(schema: dict[str, Any] | list[Any] | str) -> str:
    """The schema's Parsing Canonical Form (no doc, no defaults, no logical types, full names)."""
    # fastavro's canonicaliser wants the JSON text or a plain (unparsed) schema.
    return to_parsing_canonical_form(json.loads(json.dumps(schema)))


def schema_fingerprint(schema: dict[str, Any] | list[Any] | str) -> bytes:
    """The 8 fingerprint bytes of a single-object header: CRC-64-AVRO, little-endian."""
    return crc64_avro(canonical_form(schema).encode("utf-8")).to_bytes(8, "little")
