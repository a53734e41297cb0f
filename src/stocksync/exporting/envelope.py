"""The Avro form of an exported message: where it was in the log, and its value in the topic's own
schemas (a union of every record the topic may hold, embedded unchanged), so that any Avro tool
reads an export without stocksync's schema files.

A message's value is written as the union branch its `type` names: records with the same fields
(StockReceivedManually and StockRemovedManually) would otherwise be told apart by guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stocksync.exporting.values import TopicValues
from stocksync.schemas.schema_files import Schema

EXPORT_NAMESPACE = "io.stocksync.export"

# Metadata keys of an export file (beside avro.schema and avro.codec).
TOPIC_KEY = "stocksync.topic"
PARTITIONS_KEY = "stocksync.partitions"
SINCE_KEY = "stocksync.since"
UNTIL_KEY = "stocksync.until"


@dataclass(frozen=True, slots=True)
class ExportedMessage:
    partition: int
    offset: int
    timestamp: int  # epoch ms: the message's timestamp (append time on stock-events)
    key: str | None  # UTF-8; bytes that are not UTF-8 as \x escapes
    headers: dict[str, str]
    type: str | None  # the value's full record name; None for a tombstone
    value: dict[str, Any] | None  # the Avro datum


def envelope_schema(values: TopicValues) -> Schema:
    return {
        "type": "record", "name": "ExportedMessage", "namespace": EXPORT_NAMESPACE,
        "doc": f"One message of the stocksync topic {values.name}, in log order per partition.",
        "fields": [
            {"name": "partition", "type": "int"},
            {"name": "offset", "type": "long"},
            {"name": "timestamp", "type": {"type": "long", "logicalType": "timestamp-millis"},
             "doc": "The message's timestamp; on stock-events the time it reached the log."},
            {"name": "key", "type": ["null", "string"]},
            {"name": "headers", "type": {"type": "map", "values": "string"}},
            {"name": "type", "type": ["null", "string"],
             "doc": "The full name of the value's record; null for a tombstone."},
            {"name": "value", "type": ["null", *values.schemas]},
        ],
    }


def envelope_datum(message: ExportedMessage) -> dict[str, Any]:
    """The message as fastavro writes it: the value as (branch name, datum)."""
    return {
        "partition": message.partition, "offset": message.offset,
        "timestamp": message.timestamp, "key": message.key, "headers": message.headers,
        "type": message.type,
        "value": None if message.type is None else (message.type, message.value),
    }
