"""The Avro export of stock-events: read back by fastavro and by the Apache package, and read by
`publish` as the messages to send again."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime

import avro.datafile
import avro.io
import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.events import StockEvent
from stocksync.exporting.envelope import ExportedMessage, envelope_datum, envelope_schema
from stocksync.exporting.files import write_avro
from stocksync.exporting.reimport import (
    ExportFileError,
    is_avro_file,
    read_stock_events_export,
)
from stocksync.exporting.values import topic_values
from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import decode_control, encode_sync_record
from tests.domain.push_builders import record
from tests.exporting.messages import T0, exported, stock_events_history
from tests.strategies import LONGS, stock_events

METADATA = {"stocksync.topic": "stock-events", "stocksync.partitions": "2"}


def avro_file(messages: list[ExportedMessage], topic: str = "stock-events",
              metadata: dict[str, str] = METADATA) -> io.BytesIO:
    out = io.BytesIO()
    write_avro(out, topic_values(topic), messages, metadata)
    out.seek(0)
    return out


def as_ms(value: object) -> object:
    """Both readers give timestamp-millis as datetimes."""
    if isinstance(value, datetime):
        return (value - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000
    return value


def test_fastavro_reads_every_message_with_the_union_branch_its_type_names() -> None:
    """StockReceivedManually and StockRemovedManually have the same fields: each row is still
    written as its own branch, control messages and tombstones included."""
    messages = [message for _, message in stock_events_history()]
    reader = fastavro.reader(avro_file(messages), return_record_name=True)
    assert "stock-events" == reader.metadata["stocksync.topic"]
    rows = list(reader)
    assert [m.type for m in messages] == [row["type"] for row in rows]
    assert [m.type for m in messages] == [row["value"][0] if row["value"] else None
                                          for row in rows]
    assert {"io.stocksync.events.StockRemovedManually",
            "io.stocksync.control.ConfigSnapshot"} <= {row["type"] for row in rows}


def test_apache_avro_reads_the_same_rows() -> None:
    messages = [message for _, message in stock_events_history()]
    with avro.datafile.DataFileReader(avro_file(messages), avro.io.DatumReader()) as reader:
        rows = list(reader)
        assert "2" == reader.get_meta("stocksync.partitions").decode()
    assert len(messages) == len(rows)
    for message, row in zip(messages, rows, strict=True):
        assert (message.partition, message.offset, message.key, message.type) == (
            row["partition"], row["offset"], row["key"], row["type"])
        assert message.timestamp == as_ms(row["timestamp"])
        value = None if row["value"] is None else {k: as_ms(v) for k, v in row["value"].items()}
        assert message.value == value


def test_publish_reads_back_every_message_for_its_partition_in_order() -> None:
    history = stock_events_history()
    exported_file = avro_file([message for _, message in history])
    assert is_avro_file(exported_file.getvalue())

    export = read_stock_events_export(exported_file)

    assert 2 == export.partitions
    assert len(history) == len(export.messages)
    for (original, message), placed in zip(history, export.messages, strict=True):
        assert (message.partition, message.timestamp) == (placed.partition, placed.timestamp_ms)
        assert (None if message.key is None else message.key.encode()) == placed.key
        if original is None:
            assert placed.value is None
        elif isinstance(original, StockEvent):
            assert original == default_codec().decode(placed.value)
        else:
            assert original == decode_control(placed.value)


@settings(max_examples=60, deadline=None)
@given(st.lists(stock_events(occurred_at=LONGS), min_size=1, max_size=5))
def test_any_event_the_contract_allows_comes_back_unchanged(events: list[StockEvent]) -> None:
    """Any text, any 64-bit time (also outside the years 1-9999, which have no datetime)."""
    messages = [exported(default_codec().encode(e), offset=n) for n, e in enumerate(events)]
    export = read_stock_events_export(avro_file(messages))
    assert events == [default_codec().decode(placed.value) for placed in export.messages]


def test_an_export_of_another_topic_is_refused() -> None:
    message = exported(encode_sync_record(record(1, T0)), "sync-records")
    with pytest.raises(ExportFileError, match="an export of sync-records"):
        read_stock_events_export(avro_file([message], "sync-records",
                                           {**METADATA, "stocksync.topic": "sync-records"}))


def test_an_avro_file_that_is_no_export_is_refused() -> None:
    out = io.BytesIO()
    fastavro.writer(out, {"type": "record", "name": "X", "fields": []}, [{}])
    out.seek(0)
    with pytest.raises(ExportFileError, match="not a stocksync export"):
        read_stock_events_export(out)


def test_a_truncated_file_is_refused() -> None:
    data = avro_file([message for _, message in stock_events_history()]).getvalue()
    with pytest.raises(ExportFileError, match="not a readable Avro object container file"):
        read_stock_events_export(io.BytesIO(data[: len(data) // 2]))


def test_every_bad_row_is_named_and_none_is_returned() -> None:
    """A row whose type does not name its value's record, and one outside the partitions."""
    good = [message for _, message in stock_events_history()][1:4]
    received = good[0]
    outside = ExportedMessage(5, 8, T0, "APPLE", {}, received.type, received.value)
    rows = [envelope_datum(m) for m in [*good, replace(received, offset=7), outside]]
    rows[3]["type"] = "io.stocksync.events.StockCounted"
    out = io.BytesIO()
    fastavro.writer(out, fastavro.parse_schema(envelope_schema(topic_values("stock-events"))),
                    rows, metadata=METADATA)
    out.seek(0)
    with pytest.raises(ExportFileError) as caught:
        read_stock_events_export(out)
    report = str(caught.value)
    assert report.startswith("2 bad rows:")
    assert "row 4 (partition 1, offset 7): qty: unknown field" in report
    assert "counted_qty: missing" in report
    assert "row 5 (partition 5, offset 8): partition 5 is outside the export's 2" in report
