"""Make faust table reads and writes work on events taken in batches.

faust 0.15.3 routes a table read or write to the RocksDB partition (and the changelog partition) of
the *current event*, a context variable that its stream iterator sets one event at a time. Inside
``stream.take_events()`` that variable belongs to the background task that fills the buffer, so a
table write in the batch loop raises "Cannot modify table outside of agent/stream". Setting the
variable to the event a key came from restores faust's own routing: a key is always written to the
partition of the stock event that carried it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from faust.streams import _current_event
from faust.types import EventT


@contextmanager
def event_context(event: EventT) -> Iterator[None]:
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)
