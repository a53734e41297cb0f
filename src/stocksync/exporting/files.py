"""The export files. Avro streams: its schema is the topic's whole union, known before the first
message. Parquet and CSV first spool their rows to a temporary file, because their columns are
those of the records the export turns out to hold."""

from __future__ import annotations

import csv
import itertools
import json
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import fastavro

from stocksync.event_json import iso_utc
from stocksync.exporting.columns import (
    BOOLEAN,
    FLOAT32,
    FLOAT64,
    INT32,
    INT64,
    JSON,
    STRING,
    TIMESTAMP,
    Column,
    TableLayout,
)
from stocksync.exporting.envelope import ExportedMessage, envelope_datum, envelope_schema
from stocksync.exporting.values import TopicValues

FORMATS = ("avro", "parquet", "csv")
_BATCH_ROWS = 5000


def write_avro(out: IO[bytes], values: TopicValues, messages: Iterable[ExportedMessage],
               metadata: Mapping[str, str]) -> None:
    """An object container file, deflate-compressed (every Avro implementation reads it)."""
    fastavro.writer(out, fastavro.parse_schema(envelope_schema(values)),
                    (envelope_datum(message) for message in messages),
                    codec="deflate", metadata=dict(metadata))


def write_table(path: Path, fmt: str, values: TopicValues,
                messages: Iterable[ExportedMessage], metadata: Mapping[str, str]) -> None:
    """A Parquet or CSV file with the columns of the records present."""
    layout = TableLayout(values)
    with tempfile.TemporaryFile(dir=path.parent) as spool:
        present: set[str | None] = set()
        for message in messages:
            pickle.dump(layout.row(message), spool, protocol=pickle.HIGHEST_PROTOCOL)
            present.add(message.type)
        spool.seek(0)
        columns = layout.columns(present)
        if fmt == "parquet":
            _write_parquet(path, columns, _unspooled(spool), metadata)
        else:
            _write_csv(path, columns, _unspooled(spool))


def _unspooled(spool: IO[bytes]) -> Iterator[dict[str, Any]]:
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      default=lambda v: v.hex() if isinstance(v, bytes) else str(v))


def _write_parquet(path: Path, columns: list[Column], rows: Iterable[dict[str, Any]],
                   metadata: Mapping[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {INT32: pa.int32(), INT64: pa.int64(), FLOAT32: pa.float32(),
             FLOAT64: pa.float64(), BOOLEAN: pa.bool_(), STRING: pa.string(),
             JSON: pa.string(), TIMESTAMP: pa.timestamp("ms", tz="UTC")}
    schema = pa.schema([pa.field(c.name, types[c.kind]) for c in columns], metadata=metadata)
    # Arrow takes epoch ms for its timestamps; JSON columns take their text.
    cell = _cells(columns, {JSON: json_text})
    with pq.ParquetWriter(str(path), schema) as writer:
        for batch in _batched(rows, _BATCH_ROWS):
            writer.write_table(pa.Table.from_pylist([cell(row) for row in batch], schema=schema))


def _write_csv(path: Path, columns: list[Column], rows: Iterable[dict[str, Any]]) -> None:
    cell = _cells(columns, {JSON: json_text, TIMESTAMP: lambda ms: str(iso_utc(ms)),
                            BOOLEAN: lambda flag: "true" if flag else "false"})
    with path.open("w", encoding="utf-8", newline="") as text:
        writer = csv.writer(text)
        writer.writerow([column.name for column in columns])
        for row in rows:
            writer.writerow(["" if value is None else value for value in cell(row).values()])


def _batched(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _cells(columns: list[Column], formats: Mapping[str, Callable[[Any], Any]]
           ) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A row's cells in column order, each formatted for its column's kind; None stays None."""
    plan = [(column.name, formats.get(column.kind)) for column in columns]

    def cells(row: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, form in plan:
            value = row.get(name)
            out[name] = value if value is None or form is None else form(value)
        return out

    return cells
