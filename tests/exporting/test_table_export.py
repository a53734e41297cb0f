"""Parquet and CSV exports: one column per field, records of several types in one table."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from stocksync.exporting.columns import (
    INT64,
    JSON,
    METADATA_COLUMNS,
    STRING,
    TIMESTAMP,
    Column,
    RecordColumns,
    TableLayout,
)
from stocksync.exporting.files import write_table
from stocksync.exporting.values import TopicValues, topic_values
from stocksync.schemas.push_codec import push_codec
from stocksync.topics import CONFIG
from tests.exporting.messages import T0, stock_events_history

METADATA = ["partition", "offset", "timestamp", "key", "headers", "type"]
ENVELOPE = ["event_id", "merchant_sku", "warehouse_id", "occurred_at", "source"]

NESTED = {
    "type": "record", "name": "Outer", "namespace": "t",
    "fields": [
        {"name": "type", "type": "string"},
        {"name": "where", "type": {"type": "record", "name": "Where", "fields": [
            {"name": "store", "type": "string"},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}},
        {"name": "maybe", "type": ["null", "Where"]},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "options", "type": {"type": "map", "values": "long"}},
        {"name": "either", "type": ["null", "long", "string"]},
        {"name": "level", "type": {"type": "enum", "name": "Level", "symbols": ["LOW", "HIGH"]}},
        {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 2}},
        {"name": "raw", "type": ["null", "bytes"]},
        {"name": "seen_ms", "type": "long"},
    ],
}


def test_nested_records_are_dotted_and_collections_are_json() -> None:
    columns = RecordColumns(NESTED, epoch_ms_fields=frozenset({"seen_ms"}))
    assert [("value.type", STRING), ("where.store", STRING), ("where.at", TIMESTAMP),
            ("maybe.store", STRING), ("maybe.at", TIMESTAMP), ("tags", JSON),
            ("options", JSON), ("either", JSON), ("level", STRING), ("digest", STRING),
            ("raw", STRING), ("seen_ms", TIMESTAMP)] == [(c.name, c.kind) for c in columns.columns]
    datum = {"type": "t1", "where": {"store": "S1", "at": 5}, "maybe": None, "tags": ["a"],
             "options": {"x": 1}, "either": "y", "level": "HIGH", "digest": b"\x01\xff",
             "raw": None, "seen_ms": T0}
    assert {"value.type": "t1", "where.store": "S1", "where.at": 5, "maybe.store": None,
            "maybe.at": None, "tags": ["a"], "options": {"x": 1}, "either": "y",
            "level": "HIGH", "digest": "01ff", "raw": None, "seen_ms": T0} == columns.cells(datum)


def test_the_sync_records_times_are_timestamps() -> None:
    columns = {c.name: c.kind for c in TableLayout(topic_values("sync-records")).columns(
        ["io.stocksync.push.SyncRecord"])}
    assert (TIMESTAMP, TIMESTAMP, INT64, STRING) == (
        columns["sync_time"], columns["log_time"], columns["cause_offset"], columns["reason"])


def test_a_table_has_the_columns_of_the_present_records_in_the_topics_order() -> None:
    layout = TableLayout(topic_values("stock-events"))
    columns = layout.columns(["io.stocksync.control.RefreshRequested", None,
                              "io.stocksync.events.PushNowRequested",
                              "io.stocksync.events.StockReceivedManually"])
    assert list(METADATA_COLUMNS) == columns[:6]
    assert [*METADATA, *ENVELOPE, "qty", "note", "store_ids", "control_id"] == [
        c.name for c in columns]
    assert Column("store_ids", JSON) in columns and Column("occurred_at", TIMESTAMP) in columns


def test_a_name_with_two_kinds_becomes_json() -> None:
    store, rule = push_codec().schema("io.stocksync.config.Store"), {
        "type": "record", "name": "Odd", "namespace": "t",
        "fields": [{"name": "nickname", "type": "long"}]}
    values = TopicValues(CONFIG, (store, rule), decode=lambda data: ("", {}))
    kinds = {c.name: c.kind for c in TableLayout(values).columns(
        ["io.stocksync.config.Store", "t.Odd"])}
    assert JSON == kinds["nickname"]


def test_csv_has_a_column_per_field_empty_where_a_type_lacks_it(tmp_path: Path) -> None:
    history = stock_events_history()
    path = tmp_path / "events.csv"
    write_table(path, "csv", topic_values("stock-events"), [m for _, m in history], {})

    with path.open(newline="", encoding="utf-8") as text:
        rows = list(csv.DictReader(text))
    assert len(history) == len(rows)
    by_type = {row["type"]: row for row in rows}
    received = by_type["io.stocksync.events.StockReceivedManually"]
    assert ("1", "0", "2026-01-01T00:00:00.001Z", "APPLE", "{}") == (
        received["partition"], received["offset"], received["timestamp"], received["key"],
        received["headers"])
    assert ("2026-01-01T00:00:01.000Z", "100", "opening", "", "") == (
        received["occurred_at"], received["qty"], received["note"], received["order_status"],
        received["control_id"])
    assert '["S1"]' == by_type["io.stocksync.events.PushNowRequested"]["store_ids"]
    snapshot = by_type["io.stocksync.control.ConfigSnapshot"]
    assert ("", "config-7", "7") == (snapshot["key"], snapshot["control_id"],
                                     snapshot["version"])
    assert ["S1", "S2"] == [s["store_id"] for s in json.loads(snapshot["stores"])]
    assert "true" in snapshot["rules"]  # JSON text: the rule's enabled flag
    tombstone = by_type[""]
    assert {""} == {value for name, value in tombstone.items()
                    if name not in ("partition", "offset", "timestamp", "headers")}


def test_parquet_has_typed_columns_and_nulls(tmp_path: Path) -> None:
    history = stock_events_history()
    path = tmp_path / "events.parquet"
    write_table(path, "parquet", topic_values("stock-events"), [m for _, m in history],
                {"stocksync.topic": "stock-events"})

    table = pq.read_table(path)
    assert b"stock-events" == table.schema.metadata[b"stocksync.topic"]
    assert pa.timestamp("ms", tz="UTC") == table.schema.field("timestamp").type
    assert pa.timestamp("ms", tz="UTC") == table.schema.field("occurred_at").type
    assert pa.int64() == table.schema.field("qty").type
    assert pa.int32() == table.schema.field("partition").type
    assert pa.string() == table.schema.field("store_ids").type
    rows = table.to_pylist()
    assert [m.type for _, m in history] == [row["type"] for row in rows]
    received = next(r for r in rows if r["type"] == "io.stocksync.events.StockReceivedManually")
    assert (100, "opening", None) == (received["qty"], received["note"], received["order_id"])
    assert T0 + 1000 == int(received["occurred_at"].timestamp() * 1000)
