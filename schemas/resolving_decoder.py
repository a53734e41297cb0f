"""A strict Avro binary decoder with schema resolution, compiled once per (writer, reader) pair.

Why not fastavro's reader: on hostile bytes it reads a negative enum or union index as the last
symbol or branch (Python list indexing), accepts varints longer than 10 bytes, and re-parses its
schema arguments on every call. Here each (writer, reader) pair is compiled at load into closures
``read(data, pos) -> (value, new_pos)`` that check every varint, length, index and UTF-8 string,
and resolve per the spec's rules (field by name or alias, reader defaults, skipped writer fields,
int/long/float promotions, string<->bytes, enum symbols by name, unions on either side).

Logical types are read as their underlying type (timestamp-millis stays an int of epoch ms).
Recursive named types are not supported: no event schema needs them.
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Callable
from typing import Any

from .errors import SchemaContractError

Reader = Callable[[bytes, int], tuple[Any, int]]
Node = Any  # a parsed schema: a primitive name, a list (union) or a dict (complex type)

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})
# Promotions the spec allows: writer type -> reader types.
_PROMOTIONS = {
    "int": ("long", "float", "double"),
    "long": ("float", "double"),
    "float": ("double",),
    "string": ("bytes",),
    "bytes": ("string",),
}
# An array or map of zero-size items (null, empty records) could claim 2^63 items in two bytes.
MAX_ZERO_SIZE_ITEMS = 10_000
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_FLOAT = struct.Struct("<f")
_DOUBLE = struct.Struct("<d")


class BodyError(Exception):
    """The bytes do not match the writer schema. ``path`` lists field names, innermost first."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.path: list[str] = []

    def describe(self) -> str:
        where = ".".join(reversed(self.path))
        at = "" if self.pos is None else f" at byte {self.pos}"
        return f"field {where}{at}: {self.message}" if where else self.message + at


class _Incompatible(Exception):
    """The writer schema cannot be resolved into the reader schema (found while compiling)."""


# --- parsing: names resolved, logical types dropped ---------------------------------------------


def parse_schema(schema: Any) -> Node:
    """Parse a JSON schema into nodes, with named-type references resolved to the same node."""
    return _parse(schema, "", {})


def _fullname(name: str, namespace: str) -> str:
    return name if "." in name or not namespace else namespace + "." + name


def _parse(schema: Any, namespace: str, names: dict[str, Node]) -> Node:
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return schema
        for candidate in (_fullname(schema, namespace), schema):
            if candidate in names:
                named = names[candidate]
                if named["type"] == "record" and "fields" not in named:
                    raise SchemaContractError(f"recursive type {candidate} is not supported")
                return named
        raise SchemaContractError(f"unknown type name {schema!r}")
    if isinstance(schema, list):
        return [_parse(branch, namespace, names) for branch in schema]
    if not isinstance(schema, dict) or "type" not in schema:
        raise SchemaContractError(f"not an Avro schema: {schema!r}")
    kind = schema["type"]
    if not isinstance(kind, str) or (
        kind not in PRIMITIVES and kind not in _NAMED and kind not in ("array", "map")
    ):
        return _parse(kind, namespace, names)  # {"type": <a type or a name>}
    if kind in PRIMITIVES:
        return kind
    if kind == "array":
        return {"type": "array", "items": _parse(schema["items"], namespace, names)}
    if kind == "map":
        return {"type": "map", "values": _parse(schema["values"], namespace, names)}
    name = schema["name"]
    own_namespace = name.rpartition(".")[0] if "." in name else schema.get("namespace", namespace)
    full = _fullname(name, own_namespace)
    node: dict[str, Any] = {
        "type": "record" if kind == "error" else kind,
        "name": full,
        "aliases": {_fullname(alias, own_namespace) for alias in schema.get("aliases", ())},
    }
    if full in names:
        raise SchemaContractError(f"type {full} defined twice")
    names[full] = node
    if kind == "enum":
        node["symbols"] = list(schema["symbols"])
        node["default"] = schema.get("default")
    elif kind == "fixed":
        node["size"] = int(schema["size"])
    else:
        node["fields"] = [
            {
                "name": field["name"],
                "type": _parse(field["type"], own_namespace, names),
                "has_default": "default" in field,
                "default": field.get("default"),
                "aliases": set(field.get("aliases", ())),
            }
            for field in schema["fields"]
        ]
    return node


def _kind(node: Node) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union"
    return node["type"]


def _describe(node: Node) -> str:
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "union[" + ", ".join(_describe(branch) for branch in node) + "]"
    if "name" in node:
        return node["name"]
    inner = node.get("items", node.get("values"))
    return f"{node['type']}<{_describe(inner)}>"


def _min_size(node: Node) -> int:
    """The fewest bytes one value of ``node`` takes on the wire."""
    kind = _kind(node)
    if kind == "null":
        return 0
    if kind == "float":
        return 4
    if kind == "double":
        return 8
    if kind == "fixed":
        return node["size"]
    if kind == "record":
        return sum(_min_size(field["type"]) for field in node["fields"])
    return 1  # varints, lengths, union and enum indexes, block counts


# --- primitive readers --------------------------------------------------------------------------


def read_long(data: bytes, pos: int) -> tuple[int, int]:
    """A zigzag varint of at most 10 bytes that fits a signed 64-bit long."""
    byte = data[pos]
    if byte < 0x80:
        return (byte >> 1) ^ -(byte & 1), pos + 1
    start = pos
    value = byte & 0x7F
    shift = 7
    pos += 1
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
        if shift == 70:
            raise BodyError("varint longer than 10 bytes", start)
    if value >> 64:
        raise BodyError("varint exceeds 64 bits", start)
    return (value >> 1) ^ -(value & 1), pos


def _read_null(data: bytes, pos: int) -> tuple[None, int]:
    return None, pos


def _read_boolean(data: bytes, pos: int) -> tuple[bool, int]:
    byte = data[pos]
    if byte > 1:
        raise BodyError(f"boolean byte must be 0 or 1, got {byte}", pos)
    return byte == 1, pos + 1


def _read_int(data: bytes, pos: int) -> tuple[int, int]:
    value, end = read_long(data, pos)
    if value < _INT_MIN or value > _INT_MAX:
        raise BodyError(f"int {value} out of 32-bit range", pos)
    return value, end


def _read_float(data: bytes, pos: int) -> tuple[float, int]:
    if pos + 4 > len(data):
        raise IndexError(pos)
    return _FLOAT.unpack_from(data, pos)[0], pos + 4


def _read_double(data: bytes, pos: int) -> tuple[float, int]:
    if pos + 8 > len(data):
        raise IndexError(pos)
    return _DOUBLE.unpack_from(data, pos)[0], pos + 8


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    """A byte count, checked against what is left before anything is sliced."""
    size, start = read_long(data, pos)
    if size < 0:
        raise BodyError(f"negative length {size}", pos)
    if start + size > len(data):
        raise BodyError(f"length {size} exceeds the {len(data) - start} bytes left", pos)
    return size, start


def _read_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    size, start = _read_length(data, pos)
    end = start + size
    return data[start:end], end


def _read_string(data: bytes, pos: int) -> tuple[str, int]:
    size, start = _read_length(data, pos)
    end = start + size
    try:
        return data[start:end].decode("utf-8"), end
    except UnicodeDecodeError as exc:
        raise BodyError(f"string is not valid UTF-8 ({exc.reason})", pos) from None


_PRIMITIVE_READERS: dict[str, Reader] = {
    "null": _read_null,
    "boolean": _read_boolean,
    "int": _read_int,
    "long": read_long,
    "float": _read_float,
    "double": _read_double,
    "bytes": _read_bytes,
    "string": _read_string,
}


def _promoted(writer: str, reader: str) -> Reader:
    read = _PRIMITIVE_READERS[writer]
    if reader in ("float", "double") and writer in ("int", "long"):

        def read_as_float(data: bytes, pos: int) -> tuple[float, int]:
            value, pos = read(data, pos)
            return float(value), pos

        return read_as_float
    # int -> long, float -> double: the value is the same Python object;
    # string <-> bytes: read as the reader's type (same wire format).
    return _PRIMITIVE_READERS[reader] if {writer, reader} == {"string", "bytes"} else read


# --- compiling (writer, reader) pairs -----------------------------------------------------------


def compile_reader(writer: Any, reader: Any) -> Reader:
    """A reader for bytes written with ``writer`` (JSON schema), giving values shaped by ``reader``.

    Raises SchemaContractError when the writer cannot be resolved into the reader.
    """
    try:
        return _compile(parse_schema(writer), parse_schema(reader))
    except _Incompatible as exc:
        raise SchemaContractError(f"writer cannot be read as reader: {exc}") from None


def _names_match(writer: dict[str, Any], reader: dict[str, Any]) -> bool:
    def short(name: str) -> str:
        return name.rpartition(".")[2]

    return (
        writer["name"] == reader["name"]
        or short(writer["name"]) == short(reader["name"])
        or writer["name"] in reader["aliases"]
    )


def _compile(writer: Node, reader: Node) -> Reader:
    w_kind, r_kind = _kind(writer), _kind(reader)
    if w_kind == "union":
        return _compile_writer_union(writer, reader)
    if r_kind == "union":
        return _compile_reader_union(writer, reader)
    if w_kind in PRIMITIVES:
        if w_kind == r_kind:
            return _PRIMITIVE_READERS[w_kind]
        if r_kind in _PROMOTIONS.get(w_kind, ()):
            return _promoted(w_kind, r_kind)
        raise _Incompatible(f"{w_kind} cannot be read as {_describe(reader)}")
    if w_kind != r_kind:
        raise _Incompatible(f"{_describe(writer)} cannot be read as {_describe(reader)}")
    if w_kind == "array":
        return _compile_blocks(writer["items"], _compile(writer["items"], reader["items"]), False)
    if w_kind == "map":
        return _compile_blocks(writer["values"], _compile(writer["values"], reader["values"]), True)
    if not _names_match(writer, reader):
        raise _Incompatible(f"{writer['name']} cannot be read as {reader['name']}")
    if w_kind == "enum":
        return _compile_enum(writer, reader)
    if w_kind == "fixed":
        return _compile_fixed(writer, reader)
    return _compile_record(writer, reader)


def _compile_writer_union(writer: list[Node], reader: Node) -> Reader:
    branches: list[Reader] = []
    for branch in writer:
        try:
            branches.append(_compile(branch, reader))
        except _Incompatible as exc:
            # Allowed as long as no message takes this branch (spec: an error when read).
            branches.append(_fail(str(exc)))
    count = len(branches)

    def read_union(data: bytes, pos: int) -> tuple[Any, int]:
        index, start = read_long(data, pos)
        if index < 0 or index >= count:
            raise BodyError(f"union index {index} outside 0..{count - 1}", pos)
        return branches[index](data, start)

    return read_union


def _compile_reader_union(writer: Node, reader: list[Node]) -> Reader:
    w_kind = _kind(writer)
    # Spec: the first reader branch that matches; an exact kind match wins over a promotion.
    exact = [branch for branch in reader if _kind(branch) == w_kind]
    promoted = [branch for branch in reader if _kind(branch) in _PROMOTIONS.get(w_kind, ())]
    for branch in exact + promoted:
        try:
            return _compile(writer, branch)
        except _Incompatible:
            continue
    raise _Incompatible(f"{_describe(writer)} matches no branch of {_describe(reader)}")


def _fail(message: str) -> Reader:
    def read_unresolvable(data: bytes, pos: int) -> tuple[Any, int]:
        raise BodyError(message, pos)

    return read_unresolvable


def _compile_blocks(writer_item: Node, read_item: Reader, is_map: bool) -> Reader:
    min_size = _min_size(writer_item) + (1 if is_map else 0)

    def read_blocks(data: bytes, pos: int) -> tuple[Any, int]:
        items: Any = {} if is_map else []
        while True:
            block_start = pos
            count, pos = read_long(data, pos)
            if count == 0:
                return items, pos
            if count < 0:  # a negative count is followed by the block's size in bytes
                count = -count
                _, pos = read_long(data, pos)
            room = (len(data) - pos) // min_size if min_size else MAX_ZERO_SIZE_ITEMS
            if count > room:
                raise BodyError(
                    f"block of {count} items cannot fit in the {len(data) - pos} bytes left",
                    block_start,
                )
            for _ in range(count):
                if is_map:
                    key, pos = _read_string(data, pos)
                    items[key], pos = read_item(data, pos)
                else:
                    item, pos = read_item(data, pos)
                    items.append(item)

    return read_blocks


def _compile_enum(writer: dict[str, Any], reader: dict[str, Any]) -> Reader:
    reader_symbols = set(reader["symbols"])
    fallback = reader["default"]
    targets = [symbol if symbol in reader_symbols else fallback for symbol in writer["symbols"]]
    writer_symbols = writer["symbols"]
    count = len(targets)

    def read_enum(data: bytes, pos: int) -> tuple[str, int]:
        index, end = read_long(data, pos)
        if index < 0 or index >= count:
            raise BodyError(f"enum index {index} outside 0..{count - 1}", pos)
        symbol = targets[index]
        if symbol is None:
            raise BodyError(
                f"symbol {writer_symbols[index]} is not in reader enum {reader['name']}",
                pos,
            )
        return symbol, end

    return read_enum


def _compile_fixed(writer: dict[str, Any], reader: dict[str, Any]) -> Reader:
    size = writer["size"]
    if size != reader["size"]:
        raise _Incompatible(f"fixed {writer['name']} has size {size}, reader {reader['size']}")

    def read_fixed(data: bytes, pos: int) -> tuple[bytes, int]:
        end = pos + size
        if end > len(data):
            raise IndexError(pos)
        return data[pos:end], end

    return read_fixed


def _compile_record(writer: dict[str, Any], reader: dict[str, Any]) -> Reader:
    reader_fields = {field["name"]: field for field in reader["fields"]}
    for field in reader["fields"]:
        for alias in field["aliases"]:
            reader_fields.setdefault(alias, field)
    steps: list[tuple[str | None, str, Reader]] = []  # (output name or None = skip, label, read)
    filled = set()
    for w_field in writer["fields"]:
        r_field = reader_fields.get(w_field["name"])
        if r_field is None or r_field["name"] in filled:
            steps.append((None, w_field["name"], _compile(w_field["type"], w_field["type"])))
            continue
        try:
            read = _compile(w_field["type"], r_field["type"])
        except _Incompatible as exc:
            raise _Incompatible(f"{writer['name']}.{w_field['name']}: {exc}") from None
        steps.append((r_field["name"], w_field["name"], read))
        filled.add(r_field["name"])
    defaults: list[tuple[str, Any, bool]] = []  # (name, value, copy it per message)
    for r_field in reader["fields"]:
        if r_field["name"] in filled:
            continue
        if not r_field["has_default"]:
            raise _Incompatible(
                f"reader field {reader['name']}.{r_field['name']} has no default"
                " and the writer lacks it"
            )
        value = _default_value(r_field["type"], r_field["default"])
        defaults.append((r_field["name"], value, isinstance(value, (list, dict))))

    def read_record(data: bytes, pos: int) -> tuple[dict[str, Any], int]:
        record: dict[str, Any] = {}
        for name, label, read in steps:
            try:
                value, pos = read(data, pos)
            except BodyError as exc:
                exc.path.append(label)
                raise
            except IndexError:
                error = BodyError("the body ends inside this value", pos)
                error.path.append(label)
                raise error from None
            if name is not None:
                record[name] = value
        for name, value, mutable in defaults:
            record[name] = copy.deepcopy(value) if mutable else value
        return record, pos

    return read_record


def _default_value(node: Node, value: Any) -> Any:
    """A field default (JSON) as the value a reader of ``node`` returns."""
    kind = _kind(node)
    if kind == "union":
        for branch in node:  # spec: the first branch; later branches tolerated as Java does
            try:
                return _default_value(branch, value)
            except _Incompatible:
                continue
        raise _Incompatible(f"default {value!r} matches no branch of {_describe(node)}")
    checks: dict[str, Callable[[Any], bool]] = {
        "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "bytes": lambda v: isinstance(v, str),
        "fixed": lambda v: isinstance(v, str) and len(v) == node["size"],
        "enum": lambda v: v in node["symbols"],
        "array": lambda v: isinstance(v, list),
        "map": lambda v: isinstance(v, dict),
        "record": lambda v: isinstance(v, dict),
    }
    if not checks[kind](value):
        raise _Incompatible(f"default {value!r} is not a {_describe(node)}")
    if kind in ("float", "double"):
        return float(value)
    if kind in ("bytes", "fixed"):
        return value.encode("latin-1")  # the spec's JSON encoding of bytes
    if kind == "array":
        return [_default_value(node["items"], item) for item in value]
    if kind == "map":
        return {key: _default_value(node["values"], item) for key, item in value.items()}
    if kind == "record":
        record = {}
        for field in node["fields"]:
            if field["name"] in value:
                record[field["name"]] = _default_value(field["type"], value[field["name"]])
            elif field["has_default"]:
                record[field["name"]] = _default_value(field["type"], field["default"])
            else:
                raise _Incompatible(f"default record lacks field {field['name']}")
        return record
    return value
