"""What each exportable topic holds: the Avro schemas of its values, how its bytes decode into a
record name and an Avro datum (the dict any Avro library writes), and which of its plain `long`
fields hold epoch milliseconds (exported as timestamps in Parquet and CSV).

The dead-letter topic holds bytes that did not decode: it is refused (`NotExportable`). The rejected
topic holds valid events the fold refused; its headers say why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stocksync.domain.events import EVENT_TYPES
from stocksync.event_json import event_values
from stocksync.schemas.codec import default_codec
from stocksync.schemas.object_codec import ObjectCodec, full_name
from stocksync.schemas.push_codec import (
    CONFIG_SNAPSHOT,
    PUSH_RESULT,
    STORE,
    SYNC_RECORD,
    SYNC_RULE,
    push_codec,
)
from stocksync.schemas.schema_files import EVENT_NAMESPACE, Schema, current_event_schemas
from stocksync.topics import (
    CONFIG,
    PUSH_COMMANDS,
    PUSH_RESULTS,
    STOCK_EVENTS,
    STOCK_EVENTS_DLQ,
    STOCK_EVENTS_REJECTED,
    SYNC_LOG_RESYNC,
    SYNC_LOGS,
    SYNC_RECORDS,
    TopicSpec,
)

CONTROL_NAMESPACE = CONFIG_SNAPSHOT.rpartition(".")[0]

Decode = Callable[[bytes], tuple[str, dict[str, Any]]]


class NotExportable(ValueError):
    """A topic name `stocksync export` cannot decode; the message says why."""


@dataclass(frozen=True)
class TopicValues:
    """The values of one exportable topic."""

    spec: TopicSpec
    schemas: tuple[Schema, ...]  # every record its values may be, in a stable order
    # bytes -> (full record name, Avro datum); EventDecodeError for anything else.
    decode: Decode
    # Fields of type long that hold epoch milliseconds without saying so in the schema.
    epoch_ms_fields: frozenset[str] = field(default_factory=frozenset)

    @property
    def name(self) -> str:
        return self.spec.name

    @functools.cached_property
    def record_names(self) -> tuple[str, ...]:
        return tuple(full_name(schema) for schema in self.schemas)


def event_schemas() -> tuple[Schema, ...]:
    """The current schema of every event record, in the order of the reasons."""
    current = current_event_schemas()
    return tuple(current[event_type.__name__] for event_type in EVENT_TYPES)


def control_schemas() -> tuple[Schema, ...]:
    """The control messages stocksync writes into every stock-events partition (configuration
    snapshots, refresh requests, ...): every io.stocksync.control record of the push codec."""
    codec = push_codec()
    return tuple(codec.schema(name) for name in codec.names()
                 if name.startswith(f"{CONTROL_NAMESPACE}."))


def _stock_events(spec: TopicSpec, with_control: bool) -> TopicValues:
    codec = default_codec()
    control = ObjectCodec(control_schemas()) if with_control else None

    def decode(data: bytes) -> tuple[str, dict[str, Any]]:
        if control is not None and control.knows(data):
            return control.decode(data)
        # The strict event codec: it reads every released version and Apache avro's
        # fingerprints, and resolves them into the current schema this export embeds.
        event = codec.decode(data)
        return f"{EVENT_NAMESPACE}.{type(event).__name__}", event_values(event)

    schemas = event_schemas() + (control_schemas() if with_control else ())
    return TopicValues(spec, schemas, decode)


def _stocksync_records(spec: TopicSpec, schemas: tuple[Schema, ...],
                       epoch_ms_fields: frozenset[str] = frozenset()) -> TopicValues:
    """A topic only stocksync writes: exactly these schemas' fingerprints decode."""
    return TopicValues(spec, schemas, ObjectCodec(schemas).decode, epoch_ms_fields)


def _sync_logs() -> TopicValues:
    from stocksync.projections.view_codec import sync_log_entry_schema

    return _stocksync_records(SYNC_LOGS, (sync_log_entry_schema(),),
                              frozenset({"occurred_at", "log_time"}))


def _sync_log_resync() -> TopicValues:
    from stocksync.connectors.sync_log_reporter import resync_request_schema

    return _stocksync_records(SYNC_LOG_RESYNC, (resync_request_schema(),),
                              frozenset({"requested_at"}))


def _push(spec: TopicSpec, *names: str, epoch_ms_fields: frozenset[str] = frozenset()
          ) -> Callable[[], TopicValues]:
    return lambda: _stocksync_records(spec, tuple(push_codec().schema(n) for n in names),
                                      epoch_ms_fields)


_SYNC_RECORD_TIMES = frozenset({"sync_time", "log_time"})

_BUILDERS: dict[str, Callable[[], TopicValues]] = {
    STOCK_EVENTS.name: lambda: _stock_events(STOCK_EVENTS, with_control=True),
    STOCK_EVENTS_REJECTED.name: lambda: _stock_events(STOCK_EVENTS_REJECTED, with_control=False),
    CONFIG.name: _push(CONFIG, STORE, SYNC_RULE),
    SYNC_RECORDS.name: _push(SYNC_RECORDS, SYNC_RECORD, epoch_ms_fields=_SYNC_RECORD_TIMES),
    PUSH_COMMANDS.name: _push(PUSH_COMMANDS, SYNC_RECORD, epoch_ms_fields=_SYNC_RECORD_TIMES),
    PUSH_RESULTS.name: _push(PUSH_RESULTS, PUSH_RESULT,
                             epoch_ms_fields=frozenset({"completed_at"})),
    SYNC_LOGS.name: _sync_logs,
    SYNC_LOG_RESYNC.name: _sync_log_resync,
}

EXPORTABLE: tuple[str, ...] = tuple(_BUILDERS)


@functools.cache
def topic_values(name: str) -> TopicValues:
    """The values of the registry topic called `name` (without the settings' prefix)."""
    if name == STOCK_EVENTS_DLQ.name:
        raise NotExportable(
            f"{name} holds the bytes that could not be decoded, so there is nothing to decode; "
            f"read it with a Kafka client (its headers carry each message's error)")
    builder = _BUILDERS.get(name)
    if builder is None:
        raise NotExportable(f"{name!r} is not an exportable topic; one of {', '.join(EXPORTABLE)}")
    return builder()
