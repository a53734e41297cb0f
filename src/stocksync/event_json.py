"""Stock events as JSON objects, one per line: the interface of the producer CLI and of files.

A line is an object with ``reason`` (a ``Reason`` symbol), the envelope and the reason's fields by
name. ``occurred_at`` is an ISO-8601 string (with an offset or Z; naive means UTC) or epoch ms;
``event_id`` is generated when absent; enums are given by symbol. A line is valid when it builds
the event's dataclass with the right types and the Avro codec can encode it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import types
import typing
import uuid
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from stocksync.domain.events import EVENT_TYPE_BY_REASON, Reason, StockEvent
from stocksync.schemas.codec import default_codec
from stocksync.schemas.errors import EventEncodeError

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MISSING = object()

Problem = tuple[str | None, str]  # (field or None for the whole line, what is wrong)


class EventJsonError(ValueError):
    """A JSON object that is not a valid stock event; ``problems`` names every bad field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "; ".join(f"{field}: {message}" if field else message for field, message in problems)
        )
        self.problems = problems


class LineError(NamedTuple):
    """One problem in an event file: 1-based line number, the field (None: whole line), what."""

    line: int
    field: str | None
    message: str


class EventFileError(ValueError):
    """An event file with bad lines; ``errors`` lists every problem of every bad line."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        bad_lines = len({error.line for error in errors})
        report = [f"{bad_lines} bad line{'' if bad_lines == 1 else 's'}:"]
        for error in errors:
            where = f"line {error.line}" + (f", field {error.field}" if error.field else "")
            report.append(f"  {where}: {error.message}")
        super().__init__("\n".join(report))


# --- JSON -> event ------------------------------------------------------------------------------


def event_from_json(obj: Any) -> StockEvent:
    """The event a decoded JSON object describes; EventJsonError naming every bad field."""
    if not isinstance(obj, dict):
        raise EventJsonError([(None, f"expected a JSON object, got {_json_type(obj)}")])
    event_type = _event_type(obj.get("reason", _MISSING))
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    parsers = _field_parsers(event_type)
    for name in obj:
        if name != "reason" and name not in parsers:
            problems.append((name, f"unknown field for reason {event_type.REASON.value}"))
    for name, (parse, required) in parsers.items():
        raw = obj.get(name, _MISSING)
        if raw is _MISSING:
            if name == "event_id":
                values[name] = str(uuid.uuid4())
            elif required:
                problems.append((name, "missing"))
            continue
        try:
            values[name] = parse(raw)
        except _BadValue as exc:
            problems.append((name, str(exc)))
    if problems:
        raise EventJsonError(problems)
    event = event_type(**values)
    try:
        default_codec().encode(event)
    except EventEncodeError as exc:
        raise EventJsonError([(exc.field, exc.message)]) from exc
    return event


def read_event_lines(lines: Iterable[str]) -> list[StockEvent]:
    """Every event of a JSON-lines text; EventFileError listing every bad line if any is bad.

    Blank lines are skipped; line numbers count them (they are the numbers an editor shows).
    """
    events: list[StockEvent] = []
    errors: list[LineError] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(LineError(number, None, f"invalid JSON: {exc.msg} (column {exc.colno})"))
            continue
        except (ValueError, RecursionError) as exc:  # an integer of > 4300 digits, deep nesting
            errors.append(
                LineError(number, None, "invalid JSON: %s" % (str(exc) or type(exc).__name__))
            )
            continue
        try:
            events.append(event_from_json(obj))
        except EventJsonError as exc:
            errors.extend(LineError(number, field, message) for field, message in exc.problems)
    if errors:
        raise EventFileError(errors)
    return events


class _BadValue(Exception):
    """A field value of the wrong type or form."""


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(
        type(value), "number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _event_type(reason: Any) -> type[StockEvent]:
    if reason is _MISSING:
        raise EventJsonError([("reason", "missing")])
    if not isinstance(reason, str) or reason not in Reason.__members__:
        raise EventJsonError(
            [
                (
                    "reason",
                    f"unknown reason {json.dumps(reason)};"
                    f" expected one of {', '.join(Reason.__members__)}",
                )
            ]
        )
    return EVENT_TYPE_BY_REASON[Reason[reason]]


_PARSERS_BY_TYPE: dict[type[StockEvent], dict[str, tuple[Callable[[Any], Any], bool]]] = {}


def _field_parsers(
    event_type: type[StockEvent],
) -> dict[str, tuple[Callable[[Any], Any], bool]]:
    """Field name -> (parser of its JSON value, required), from the dataclass's type hints."""
    parsers = _PARSERS_BY_TYPE.get(event_type)
    if parsers is None:
        hints = typing.get_type_hints(event_type)
        parsers = {}
        for field in dataclasses.fields(event_type):
            required = (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
            )
            parse = _parse_epoch_ms if field.name == "occurred_at" else _parser(hints[field.name])
            parsers[field.name] = (parse, required)
        _PARSERS_BY_TYPE[event_type] = parsers
    return parsers


def _parser(hint: Any) -> Callable[[Any], Any]:
    if hint is str:
        return _parse_str
    if hint is int:
        return _parse_int
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum_parser(hint)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union) and type(None) in args and len(args) == 2:
        parse_value = _parser(next(arg for arg in args if arg is not type(None)))
        return lambda value: None if value is None else parse_value(value)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple_parser(_parser(args[0]))
    raise TypeError(f"no JSON parser for {hint!r}")


def _parse_str(value: Any) -> str:
    if not isinstance(value, str):
        raise _BadValue(f"expected a string, got {_json_type(value)}")
    return value


def _parse_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _BadValue(f"expected an integer, got {_json_type(value)}")
    return value


def _enum_parser(enum_type: type[enum.Enum]) -> Callable[[Any], enum.Enum]:
    symbols = ", ".join(enum_type.__members__)

    def parse_enum(value: Any) -> enum.Enum:
        if not isinstance(value, str) or value not in enum_type.__members__:
            raise _BadValue(f"expected one of {symbols}, got {json.dumps(value)}")
        return enum_type[value]

    return parse_enum


def _tuple_parser(parse_item: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, ...]]:
    def parse_tuple(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise _BadValue(f"expected an array, got {_json_type(value)}")
        items = []
        for position, item in enumerate(value):
            try:
                items.append(parse_item(item))
            except _BadValue as exc:
                raise _BadValue(f"item {position}: {exc}") from None
        return tuple(items)

    return parse_tuple


def _parse_epoch_ms(value: Any) -> int:
    """Epoch ms from an int, or from an ISO-8601 string (naive = UTC; sub-ms digits dropped)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise _BadValue(
            f"expected an ISO-8601 string or epoch milliseconds, got {_json_type(value)}"
        )
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _BadValue(f"not an ISO-8601 date-time: {json.dumps(value)}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


# --- event -> JSON ------------------------------------------------------------------------------


def event_to_json(event: StockEvent) -> dict[str, Any]:
    """The event as a JSON-ready dict: reason symbol first, ISO-8601 UTC times, enum symbols."""
    values = event_values(event)
    return {"reason": event.REASON.value, **values,
            "occurred_at": iso_utc(values["occurred_at"])}


def event_values(event: StockEvent) -> dict[str, Any]:
    """The event's fields as plain data (enum symbols, lists, epoch ms): its Avro datum."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        values[field.name] = value
    return values


def iso_utc(epoch_ms: int) -> str | int:
    """``2024-05-01T12:00:00.000Z``; epoch ms itself when outside the years 1-9999."""
    try:
        moment = _EPOCH + dt.timedelta(milliseconds=epoch_ms)
    except OverflowError:
        return epoch_ms
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
