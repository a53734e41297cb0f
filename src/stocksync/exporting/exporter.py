"""One export: a topic's messages in a time range, decoded, into a file.

    with TopicExport(settings, "stock-events", TimeRange(since, until)) as export:
        total = export.total                     # offsets to go through, known up front
        summary = export.write("avro", path, progress=bar.update)

Messages whose value does not decode (upstream garbage on stock-events, which the fold
dead-letters) are left out and counted; a tombstone is a row with no type and no value. The file
appears only when complete: it is written beside its name and renamed at the end.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kafka.consumer.fetcher import ConsumerRecord

from stocksync.exporting.bounded_read import BoundedRead
from stocksync.exporting.envelope import (
    PARTITIONS_KEY,
    SINCE_KEY,
    TOPIC_KEY,
    UNTIL_KEY,
    ExportedMessage,
)
from stocksync.exporting.files import write_avro, write_table
from stocksync.exporting.values import TopicValues, topic_values
from stocksync.logs import get_logger
from stocksync.projections.time_ranges import TimeRange
from stocksync.schemas.errors import EventDecodeError
from stocksync.settings import Settings

log = get_logger(__name__)


@dataclass
class ExportSummary:
    path: Path
    exported: int = 0
    undecodable: int = 0
    first_undecodable: str | None = None  # where, and why
    types: Counter[str | None] = field(default_factory=Counter)


class TopicExport:
    """Opening it plans the read (and fails for an unknown or missing topic)."""

    def __init__(self, settings: Settings, name: str, window: TimeRange) -> None:
        self.values: TopicValues = topic_values(name)
        self.window = window
        append_time = self.values.spec.config.get("message.timestamp.type") == "LogAppendTime"
        self._read = BoundedRead(settings, settings.topic(name), window, append_time=append_time)

    @property
    def total(self) -> int:
        return self._read.total

    def write(self, fmt: str, path: Path,
              progress: Callable[[int], None] = lambda advanced: None) -> ExportSummary:
        summary = ExportSummary(path)
        messages = self._messages(self._read.records(progress), summary)
        partial = path.with_name(f"{path.name}.partial")
        try:
            if fmt == "avro":
                with partial.open("wb") as out:
                    write_avro(out, self.values, messages, self._metadata())
            else:
                write_table(partial, fmt, self.values, messages, self._metadata())
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        log.info("exported", topic=self._read.topic, path=str(path), format=fmt,
                 messages=summary.exported, undecodable=summary.undecodable)
        return summary

    def _metadata(self) -> dict[str, str]:
        """What a re-import checks: the topic and its partition count; and the range."""
        metadata = {TOPIC_KEY: self.values.name, PARTITIONS_KEY: str(self._read.partitions)}
        if self.window.since is not None:
            metadata[SINCE_KEY] = str(self.window.since)
        if self.window.until is not None:
            metadata[UNTIL_KEY] = str(self.window.until)
        return metadata

    def _messages(self, records: Iterator[ConsumerRecord], summary: ExportSummary
                  ) -> Iterator[ExportedMessage]:
        for record in records:
            try:
                message = exported_message(record, self.values)
            except EventDecodeError as exc:
                summary.undecodable += 1
                where = f"partition {record.partition} offset {record.offset}"
                summary.first_undecodable = summary.first_undecodable or f"{where}: {exc}"
                log.warning("export_skipped_undecodable", topic=record.topic,
                            partition=record.partition, offset=record.offset, error=str(exc))
                continue
            summary.exported += 1
            summary.types[message.type] += 1
            yield message

    def close(self) -> None:
        self._read.close()

    def __enter__(self) -> TopicExport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def exported_message(record: ConsumerRecord, values: TopicValues) -> ExportedMessage:
    """The record with its value decoded; EventDecodeError when it does not decode."""
    type_name, datum = (None, None) if record.value is None else values.decode(record.value)
    return ExportedMessage(
        partition=record.partition, offset=record.offset, timestamp=record.timestamp,
        key=None if record.key is None else _text(record.key),
        headers={name: _text(value or b"") for name, value in record.headers or ()},
        type=type_name, value=datum,
    )


def _text(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")
