"""Hypothesis strategies for stock events, shared by every test that needs arbitrary events.

``stock_events()`` builds any of the 19 event types with values anywhere in what the Avro contract
allows: any Unicode text (no lone surrogates), any signed 64-bit integer for quantities and times.
Narrow a field by passing its strategy, e.g. ``stock_events(merchant_sku=st.just("SKU-1"),
qty=st.integers(1, 50))``; a field strategy applies to every type that has that field.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Iterable
from typing import Any

from hypothesis import strategies as st

from stocksync.domain.events import EVENT_TYPES, StockEvent

LONGS = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)


def _for_hint(hint: Any) -> st.SearchStrategy[Any]:
    if hint is str:
        return st.text(max_size=30)
    if hint is int:
        return LONGS
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union) and type(None) in args and len(args) == 2:
        return st.none() | _for_hint(next(arg for arg in args if arg is not type(None)))
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return st.lists(_for_hint(args[0]), max_size=5).map(tuple)
    raise TypeError(f"no strategy for {hint!r}")


def event_of(
    event_type: type[StockEvent], **overrides: st.SearchStrategy[Any]
) -> st.SearchStrategy[StockEvent]:
    """Events of one type; ``overrides`` replace the strategies of the named fields."""
    hints = typing.get_type_hints(event_type)
    fields = {
        field.name: overrides.get(field.name, _for_hint(hints[field.name]))
        for field in dataclasses.fields(event_type)
    }
    return st.builds(event_type, **fields)


def stock_events(
    event_types: Iterable[type[StockEvent]] = EVENT_TYPES, **overrides: st.SearchStrategy[Any]
) -> st.SearchStrategy[StockEvent]:
    """Events of any of ``event_types`` (default: all 19)."""
    return st.one_of([event_of(event_type, **overrides) for event_type in event_types])
