"""Single-object encoding for the records stocksync itself writes (sync records, push results,
config, control messages). The same wire format as stock events; fastavro reads them, because
their only producer is stocksync (upstream bytes go through the strict event decoder instead)."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterable, Mapping
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from .errors import BadHeaderError, MalformedBodyError, UnknownSchemaError
from .fingerprint import schema_fingerprint

MAGIC = b"\xc3\x01"
HEADER_SIZE = 10


class ObjectCodec:
    """Encodes and decodes records of a fixed set of named schemas, by full name."""

    def __init__(self, schemas: Iterable[Mapping[str, Any]]) -> None:
        self._writers: dict[str, tuple[bytes, Any]] = {}
        self._readers: dict[bytes, tuple[str, Any]] = {}
        self._schemas: dict[str, dict[str, Any]] = {}
        for schema in schemas:
            name = full_name(schema)
            self._schemas[name] = copy.deepcopy(dict(schema))
            parsed = parse_schema(dict(schema))
            header = MAGIC + schema_fingerprint(dict(schema))
            self._writers[name] = (header, parsed)
            self._readers[header[2:]] = (name, parsed)

    def encode(self, name: str, record: Mapping[str, Any]) -> bytes:
        header, parsed = self._writers[name]
        buffer = io.BytesIO()
        buffer.write(header)
        schemaless_writer(buffer, parsed, dict(record))
        return buffer.getvalue()

    def header(self, name: str) -> bytes:
        """The single-object header (magic and fingerprint) of the record called `name`."""
        return self._writers[name][0]

    def decode(self, data: bytes) -> tuple[str, dict[str, Any]]:
        if data is None or len(data) < HEADER_SIZE or data[:2] != MAGIC:
            raise BadHeaderError("not an Avro single-object message")
        try:
            name, parsed = self._readers[bytes(data[2:HEADER_SIZE])]
        except KeyError:
            raise UnknownSchemaError(bytes(data[2:HEADER_SIZE])) from None
        try:
            record = schemaless_reader(io.BytesIO(data[HEADER_SIZE:]), parsed, None)
        except Exception as exc:  # fastavro raises a variety of errors on bad bodies
            raise MalformedBodyError(f"{name}: {exc}") from exc
        return name, record  # type: ignore[return-value]

    def names(self) -> tuple[str, ...]:
        """The full names of the records this codec encodes, in the order it was given them."""
        return tuple(self._schemas)

    def schema(self, name: str) -> dict[str, Any]:
        """A copy of the schema (JSON) of the record called `name`, for files that embed it."""
        return copy.deepcopy(self._schemas[name])

    def knows(self, data: bytes) -> bool:
        """True if `data` carries the fingerprint of one of this codec's schemas."""
        return (data is not None and len(data) >= HEADER_SIZE and data[:2] == MAGIC
                and bytes(data[2:HEADER_SIZE]) in self._readers)


def full_name(schema: Mapping[str, Any]) -> str:
    """The record's name with its namespace."""
    name = schema["name"]
    return name if "." in name else f"{schema['namespace']}.{name}"
