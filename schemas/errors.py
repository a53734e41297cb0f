"""The codec's errors: one project error per direction, subclassed by what was wrong.

A consumer routes every ``EventDecodeError`` to the dead-letter topic with ``str(error)`` in the
headers, so each message names what was wrong and where.
"""

from __future__ import annotations


class EventDecodeError(Exception):
    """Bytes that are not a single-object-encoded event of a known schema."""


class BadHeaderError(EventDecodeError):
    """The message is too short for the header or does not start with the magic C3 01."""


class UnknownSchemaError(EventDecodeError):
    """The header's fingerprint names no current or released schema."""

    def __init__(self, fingerprint: bytes) -> None:
        super().__init__(
            f"unknown writer schema: fingerprint {fingerprint.hex()} (little-endian CRC-64-AVRO)"
            " is neither a current nor a released event schema"
        )
        self.fingerprint = fingerprint


class MalformedBodyError(EventDecodeError):
    """The body does not match the writer schema: truncated, bad varint, bad index, bad UTF-8..."""


class EventEncodeError(Exception):
    """An event that does not fit its Avro schema: a wrong type or a missing field."""

    def __init__(self, record: str, field: str | None, message: str) -> None:
        super().__init__(f"{record}.{field}: {message}" if field else f"{record}: {message}")
        self.record = record
        self.field = field
        self.message = message


class SchemaContractError(Exception):
    """The schema files break the contract (a released version the current one cannot read...).

    Raised when the codec loads, never for a message: it is a bug in ``schemas/``, caught by tests.
    """
