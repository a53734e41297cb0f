"""An Avro export of stock-events, read back as the messages to publish again: every event and
control message, encoded as stocksync writes it, bound for the partition it came from, in the
file's order (so each partition's log order is kept). Every row is checked before anything is
sent; `ExportFileError` lists each bad one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

import fastavro

from stocksync.domain.events import EVENT_TYPES
from stocksync.event_json import EventJsonError, event_from_json
from stocksync.exporting.envelope import PARTITIONS_KEY, TOPIC_KEY
from stocksync.exporting.values import control_schemas
from stocksync.publisher import PlacedMessage
from stocksync.schemas.codec import default_codec
from stocksync.schemas.object_codec import ObjectCodec, full_name
from stocksync.schemas.schema_files import EVENT_NAMESPACE
from stocksync.topics import STOCK_EVENTS

OCF_MAGIC = b"Obj\x01"

_EVENT_TYPES = {f"{EVENT_NAMESPACE}.{event_type.__name__}": event_type
                for event_type in EVENT_TYPES}


class ExportFileError(ValueError):
    """A file that is not a publishable export; the message names every bad row."""


@dataclass(frozen=True)
class StockEventsExport:
    partitions: int  # of the topic it was exported from
    messages: list[PlacedMessage]  # in the file's order


def is_avro_file(head: bytes) -> bool:
    """True when `head` (a file's first bytes) starts an Avro object container file."""
    return head[:4] == OCF_MAGIC


def read_stock_events_export(stream: IO[bytes]) -> StockEventsExport:
    try:
        blocks = fastavro.block_reader(stream)
        metadata = blocks.metadata
        # Times are read as the epoch ms they were written from (fastavro's readers would make
        # datetimes, and a timestamp-millis outside the years 1-9999, which the contract allows,
        # has none): the same bytes, read with the schema less its logical types.
        plain = fastavro.parse_schema(_without_logical_types(json.loads(metadata["avro.schema"])))
        rows = [fastavro.schemaless_reader(block.bytes_, plain, None)
                for block in blocks for _ in range(block.num_records)]
    except Exception as exc:  # fastavro raises many kinds of error on a corrupt file
        raise ExportFileError(f"not a readable Avro object container file: {exc}") from exc
    partitions = _exported_partitions(metadata)
    control = ObjectCodec(control_schemas())
    control_names = {full_name(schema) for schema in control_schemas()}
    messages, problems = [], []
    for number, row in enumerate(rows, start=1):
        try:
            messages.append(_placed(row, partitions, control, control_names))
        except (ExportFileError, EventJsonError) as exc:
            problems.append(f"  row {number} (partition {row.get('partition')}, "
                            f"offset {row.get('offset')}): {exc}")
    if problems:
        raise ExportFileError(f"{len(problems)} bad row{'' if len(problems) == 1 else 's'}:\n"
                              + "\n".join(problems))
    return StockEventsExport(partitions, messages)


def _exported_partitions(metadata: Mapping[str, str]) -> int:
    topic = metadata.get(TOPIC_KEY)
    if topic != STOCK_EVENTS.name:
        what = f"an export of {topic}" if topic else "not a stocksync export"
        raise ExportFileError(f"{what}: only exports of {STOCK_EVENTS.name} are published")
    try:
        return int(metadata[PARTITIONS_KEY])
    except (KeyError, ValueError):
        raise ExportFileError(f"the export does not say how many partitions {STOCK_EVENTS.name} "
                              f"had ({PARTITIONS_KEY})") from None


def _placed(row: Mapping[str, Any], partitions: int, control: ObjectCodec,
            control_names: set[str]) -> PlacedMessage:
    partition, type_name, value = row["partition"], row["type"], row["value"]
    if not 0 <= partition < partitions:
        raise ExportFileError(f"partition {partition} is outside the export's {partitions}")
    if (type_name is None) != (value is None):
        raise ExportFileError("a value needs its type, and a tombstone has neither")
    key = None if row["key"] is None else row["key"].encode()
    return PlacedMessage(partition, key, _encoded(type_name, value, control, control_names),
                         row["timestamp"])


def _encoded(type_name: str | None, value: dict[str, Any] | None, control: ObjectCodec,
             control_names: set[str]) -> bytes | None:
    if type_name is None or value is None:
        return None  # a tombstone (the fold dead-letters it, as it did the original)
    if type_name in control_names:
        try:
            return control.encode(type_name, value)
        except (ValueError, TypeError, KeyError) as exc:
            raise ExportFileError(f"{type_name}: {exc}") from exc
    event_type = _EVENT_TYPES.get(type_name)
    if event_type is None:
        raise ExportFileError(f"{type_name!r} is neither a stock event nor a control message")
    # The JSON-lines validation: every field checked, and the codec must encode the event.
    event = event_from_json({"reason": event_type.REASON.value, **value})
    return default_codec().encode(event)


def _without_logical_types(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_without_logical_types(branch) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    if "logicalType" in schema and schema["type"] in ("int", "long"):
        return schema["type"]
    plain = dict(schema)
    for key in ("type", "items", "values"):
        if key in plain:
            plain[key] = _without_logical_types(plain[key])
    if "fields" in plain:
        plain["fields"] = [{**f, "type": _without_logical_types(f["type"])}
                           for f in plain["fields"]]
    return plain
