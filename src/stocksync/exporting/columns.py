"""The flat columns of Parquet and CSV exports.

A table holds the message's metadata (`partition`, `offset`, `timestamp`, `key`, `headers`, `type`),
then one column per field of the value records present in the export, by name: records of several
types share the table, a type lacking a column leaves it empty. Fields become columns so:

- a nested record's fields become dotted columns (`parent.child`);
- arrays, maps, unions of several types and the headers become JSON text: one cell that tools
  parse when they need to, instead of a column per array position;
- enums are their symbol, bytes are hex;
- `timestamp-millis` fields, the message timestamp and the topic's `long` fields of epoch
  milliseconds (`TopicValues.epoch_ms_fields`) are timestamps;
- a field named like a metadata column is `value.<name>`;
- a name with different kinds in two records (none today) is JSON text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stocksync.exporting.envelope import ExportedMessage
from stocksync.exporting.values import TopicValues
from stocksync.schemas.errors import SchemaContractError
from stocksync.schemas.schema_files import Schema

INT32, INT64, FLOAT32, FLOAT64 = "int32", "int64", "float32", "float64"
BOOLEAN, STRING, TIMESTAMP, JSON = "boolean", "string", "timestamp", "json"

_PRIMITIVES = {"int": INT32, "long": INT64, "float": FLOAT32, "double": FLOAT64,
               "boolean": BOOLEAN, "string": STRING, "bytes": STRING}
_NAMED = ("record", "error", "enum", "fixed")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str


METADATA_COLUMNS = (
    Column("partition", INT32), Column("offset", INT64), Column("timestamp", TIMESTAMP),
    Column("key", STRING), Column("headers", JSON), Column("type", STRING),
)
_METADATA_NAMES = frozenset(column.name for column in METADATA_COLUMNS)


@dataclass(frozen=True, slots=True)
class _Leaf:
    column: Column
    path: tuple[str, ...]
    hexed: bool  # bytes or fixed: written as hex text


class RecordColumns:
    """The columns of one value record, and the cells of a datum of it."""

    def __init__(self, schema: Schema, epoch_ms_fields: frozenset[str] = frozenset()) -> None:
        self.name = _full_name(schema, "")
        self._named: dict[str, Any] = {}
        self._leaves = list(self._record_leaves(schema, (), schema.get("namespace", ""),
                                                epoch_ms_fields))

    @property
    def columns(self) -> list[Column]:
        return [leaf.column for leaf in self._leaves]

    def cells(self, datum: Mapping[str, Any]) -> dict[str, Any]:
        """Column -> plain value: ints, strings, epoch ms, and lists or dicts for JSON columns."""
        cells = {}
        for leaf in self._leaves:
            value: Any = datum
            for step in leaf.path:
                value = None if value is None else value[step]
            if value is not None and leaf.hexed:
                value = bytes(value).hex()
            cells[leaf.column.name] = value
        return cells

    def _record_leaves(self, record: Schema, path: tuple[str, ...], namespace: str,
                       epoch_ms_fields: frozenset[str]) -> Iterable[_Leaf]:
        namespace = self._define(record, namespace)
        for field in record["fields"]:
            field_path = (*path, field["name"])
            kind, hexed = self._kind(field["type"], namespace)
            if isinstance(kind, dict):  # a nested record: its fields, dotted
                yield from self._record_leaves(kind, field_path, namespace, frozenset())
                continue
            if not path and field["name"] in epoch_ms_fields and kind == INT64:
                kind = TIMESTAMP
            name = ".".join(field_path)
            if name in _METADATA_NAMES:
                name = f"value.{name}"
            yield _Leaf(Column(name, kind), field_path, hexed)

    def _kind(self, schema: Any, namespace: str) -> tuple[Any, bool]:
        """(column kind, or the record schema to flatten; whether the value is bytes)."""
        if isinstance(schema, list):
            branches = [branch for branch in schema if branch != "null"]
            if len(branches) != 1:
                self._define_within(schema, namespace)
                return JSON, False
            return self._kind(branches[0], namespace)
        if isinstance(schema, str):
            if schema in _PRIMITIVES:
                return _PRIMITIVES[schema], schema == "bytes"
            return self._kind(self._reference(schema, namespace), namespace)
        kind = schema["type"]
        if kind in ("record", "error"):
            return schema, False
        if kind in ("enum", "fixed"):
            self._define(schema, namespace)
            return STRING, kind == "fixed"
        if kind in ("array", "map"):
            self._define_within(schema, namespace)
            return JSON, False
        if schema.get("logicalType") == "timestamp-millis" and kind == "long":
            return TIMESTAMP, False
        return self._kind(kind, namespace)

    def _define(self, schema: Schema, namespace: str) -> str:
        """Remember a named type for later references; its namespace."""
        name = _full_name(schema, namespace)
        self._named[name] = schema
        return name.rpartition(".")[0]

    def _define_within(self, schema: Any, namespace: str) -> None:
        """Remember the named types defined inside a JSON column (they may be referenced)."""
        if isinstance(schema, list):
            for branch in schema:
                self._define_within(branch, namespace)
        elif isinstance(schema, dict):
            if schema["type"] in _NAMED:
                namespace = self._define(schema, namespace)
            for inner in (schema.get("items"), schema.get("values"),
                          *(f["type"] for f in schema.get("fields", ()))):
                if inner is not None:
                    self._define_within(inner, namespace)

    def _reference(self, name: str, namespace: str) -> Schema:
        for candidate in (name, f"{namespace}.{name}"):
            if candidate in self._named:
                return self._named[candidate]  # type: ignore[no-any-return]
        raise SchemaContractError(f"{self.name}: unknown type {name!r}")


def _full_name(schema: Schema, namespace: str) -> str:
    name = schema["name"]
    if "." in name:
        return str(name)
    namespace = schema.get("namespace", namespace)
    return f"{namespace}.{name}" if namespace else str(name)


class TableLayout:
    """The columns of a table export of one topic, given the value records it holds."""

    def __init__(self, values: TopicValues) -> None:
        self._records = {columns.name: columns for columns in
                         (RecordColumns(schema, values.epoch_ms_fields)
                          for schema in values.schemas)}

    def row(self, message: ExportedMessage) -> dict[str, Any]:
        """The message's cells; the value's come from its own record's columns."""
        row = {"partition": message.partition, "offset": message.offset,
               "timestamp": message.timestamp, "key": message.key,
               "headers": message.headers, "type": message.type}
        if message.type is not None and message.value is not None:
            row.update(self._records[message.type].cells(message.value))
        return row

    def columns(self, present: Iterable[str | None]) -> list[Column]:
        """The metadata columns, then those of the present records, in the topic's order."""
        present = set(present)
        kinds = {column.name: column.kind for column in METADATA_COLUMNS}
        for name, record in self._records.items():
            if name in present:
                for column in record.columns:
                    known = kinds.setdefault(column.name, column.kind)
                    if known != column.kind:
                        kinds[column.name] = JSON
        return [Column(name, kind) for name, kind in kinds.items()]
