"""The Kafka side of product, order, customer and refund connectors: they report sync log entries
to `sync-logs` and read the re-sync requests operators queue on `sync-log-resync`.

    with SyncLogReporter(settings) as reporter:
        reporter.report([entry, ...])            # every entry checked first: one bad, none sent
    for request in read_resync_requests(settings):
        ...                                      # sync request.subject_id to request.store_id
        reporter.report([replace(failed_entry, status=SYNCED, attempt=request.attempt)])

- An entry goes to the partition of its subject (kind, store, subject id), keyed by its record
  id, so one worker holds every entry of a subject and compaction keeps a record's latest update.
- The log time of an entry is when it reached the log: `sync-logs` stamps messages with the
  broker's append time and the projection takes that; the value's own `log_time` is ignored.
- A re-sync request names a subject, the failed entries it answers and the attempt to report
  them with. Requests are read from the topic's start: a connector skips a (subject, attempt) it
  has already reported, so a request read twice syncs once.

This is the only connector module that talks to Kafka; the marketplace connectors stay pure.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


from stocksync.logs import get_logger
from stocksync.projections.sync_logs import SyncLogEntry, SyncLogKind, SyncLogStatus
from stocksync.projections.view_codec import encode_sync_log_entry
from stocksync.publisher import ordered_producer
from stocksync.schemas.errors import EventDecodeError, MalformedBodyError
from stocksync.schemas.object_codec import ObjectCodec
from stocksync.settings import Settings
from stocksync.streams.fold_io import partition_of
from stocksync.topic_reader import read_to_end
from stocksync.topics import SYNC_LOG_RESYNC, SYNC_LOGS

log = get_logger(__name__)

RESYNC_REQUEST = "io.stocksync.synclogs.ResyncRequest"
# Failure codes are filtered as a comma-separated list (failure_reason=A,B): no commas, no blanks.
FAILURE_CODE = re.compile(r"[A-Za-z0-9_.:-]+")


class InvalidEntry(ValueError):
    """An entry that may not go to the log; `field` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class ResyncRequest:
    """Sync one subject in one store again; report `record_ids` with `attempt` when done."""

    request_id: str
    kind: SyncLogKind
    store_id: str
    subject_id: str
    attempt: int
    record_ids: tuple[str, ...]  # the failed entries this re-sync answers, sorted
    requested_at: int  # epoch ms


def subject_key(kind: SyncLogKind, store_id: str, subject_id: str) -> bytes:
    """The subject's key: NUL cannot occur in ids that a URL or JSON carries unescaped."""
    return f"{kind.value}\x00{store_id}\x00{subject_id}".encode()


def subject_partition(kind: SyncLogKind, store_id: str, subject_id: str, partitions: int) -> int:
    """The partition of `sync-logs` (and of `sync-log-resync`) that holds a subject."""
    return partition_of(subject_key(kind, store_id, subject_id), partitions)


def entry_partition(entry: SyncLogEntry, partitions: int) -> int:
    return subject_partition(entry.kind, entry.store_id, entry.subject_id, partitions)


def check_entry(entry: SyncLogEntry) -> None:
    """InvalidEntry naming the first field that the log pages could not show or filter."""
    for name in ("record_id", "subject_id", "store_id", "marketplace"):
        value = getattr(entry, name)
        if not isinstance(value, str) or not value.strip():
            raise InvalidEntry(name, "a non-empty string is required")
    if not isinstance(entry.kind, SyncLogKind):
        raise InvalidEntry("kind", f"one of {', '.join(SyncLogKind.__members__)}")
    if not isinstance(entry.status, SyncLogStatus):
        raise InvalidEntry("status", f"one of {', '.join(SyncLogStatus.__members__)}")
    for name, least in (("occurred_at", 0), ("log_time", 0), ("attempt", 1)):
        value = getattr(entry, name)
        if type(value) is not int or not least <= value < 1 << 63:
            raise InvalidEntry(name, f"a whole number from {least} is required")
    if entry.status is SyncLogStatus.FAILED:
        if not isinstance(entry.failure_code, str) or not FAILURE_CODE.fullmatch(
                entry.failure_code):
            raise InvalidEntry("failure_code", "a FAILED entry needs a failure code of letters, "
                                               "digits and _ . : - (e.g. VALIDATION, TIMEOUT)")
        if entry.failure_message is not None and not isinstance(entry.failure_message, str):
            raise InvalidEntry("failure_message", "a string or null")
    else:
        for name in ("failure_code", "failure_message"):
            if getattr(entry, name) is not None:
                raise InvalidEntry(name, f"only FAILED entries have one, not {entry.status.value}")
    for name, value in entry.details:
        if not isinstance(name, str) or not name or not isinstance(value, str):
            raise InvalidEntry("details", "names and values must be strings, names non-empty")


class SyncLogReporter:
    """Sends entries to `sync-logs`, keyed by record id, on their subject's partition."""

    def __init__(self, settings: Settings) -> None:
        self._topic = settings.topic(SYNC_LOGS.name)
        self._partitions = settings.partitions
        self._producer = ordered_producer(settings, "sync-log-reporter")

    def report(self, entries: Iterable[SyncLogEntry]) -> int:
        """Sends `entries` in order; how many. InvalidEntry (nothing sent) if one is bad."""
        messages = []
        for entry in entries:
            check_entry(entry)
            messages.append((entry.record_id.encode(), encode_sync_log_entry(entry),
                             entry_partition(entry, self._partitions)))
        futures = [self._producer.send(self._topic, key=key, value=value, partition=partition)
                   for key, value, partition in messages]
        self._producer.flush()
        for future in futures:
            future.get(timeout=30)  # raises the send error, if any
        return len(messages)

    def close(self) -> None:
        self._producer.close()

    def __enter__(self) -> SyncLogReporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_resync_requests(settings: Settings, timeout_s: float = 30.0) -> list[ResyncRequest]:
    """Every re-sync request on `sync-log-resync` up to its current end, oldest first per
    partition; undecodable messages are logged and left out."""
    return list(_decoded(read_to_end(settings, settings.topic(SYNC_LOG_RESYNC.name),
                                     timeout_s=timeout_s)))


def _decoded(messages: Iterable[Any]) -> Iterator[ResyncRequest]:
    for message in messages:
        try:
            yield decode_resync_request(message.value)
        except EventDecodeError:
            log.exception("resync_request_undecodable", partition=message.partition,
                          offset=message.offset)


def resync_request_schema() -> dict[str, Any]:
    return {
        "type": "record", "name": "ResyncRequest", "namespace": "io.stocksync.synclogs",
        "doc": "Sync one product, order, customer or refund to one store again.",
        "fields": [
            {"name": "request_id", "type": "string"},
            {"name": "kind", "type": {"type": "enum", "name": "SyncLogKind",
                                      "symbols": [k.value for k in SyncLogKind]}},
            {"name": "store_id", "type": "string"},
            {"name": "subject_id", "type": "string"},
            {"name": "attempt", "type": "int"},
            {"name": "record_ids", "type": {"type": "array", "items": "string"}},
            {"name": "requested_at", "type": "long"},
        ],
    }


def encode_resync_request(request: ResyncRequest) -> bytes:
    return _codec().encode(RESYNC_REQUEST, {
        "request_id": request.request_id, "kind": request.kind.value,
        "store_id": request.store_id, "subject_id": request.subject_id,
        "attempt": request.attempt, "record_ids": list(request.record_ids),
        "requested_at": request.requested_at,
    })


def decode_resync_request(data: bytes) -> ResyncRequest:
    name, d = _codec().decode(data)
    if name != RESYNC_REQUEST:
        raise MalformedBodyError(f"expected a {RESYNC_REQUEST}, got a {name}")
    return ResyncRequest(d["request_id"], SyncLogKind(d["kind"]), d["store_id"],
                         d["subject_id"], d["attempt"], tuple(d["record_ids"]),
                         d["requested_at"])


@functools.cache
def _codec() -> ObjectCodec:
    return ObjectCodec([resync_request_schema()])
