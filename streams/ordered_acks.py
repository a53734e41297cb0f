"""Acknowledge a stream's events in offset order, whatever order they finish in.

faust 0.15.3 commits, per partition, the run of consecutive acknowledged offsets that starts at
the smallest acknowledged one (`Consumer._new_offset`); when nothing was committed yet, or the
committed offset is 0, it does not check that this run starts at the committed offset. Events
acknowledged out of order (one stalled, later ones done) therefore let it commit past the stalled
one, and a crash then loses it. So the push agent takes its events without acknowledgement
(`Stream.noack_take`), tracks them here, and an event is acknowledged only once it and every
event before it on its partition are done: faust's acknowledged offsets are then always a prefix
of what was delivered, and the committed offset never passes an event in flight.

`release()` lets go of every event not yet acknowledged without acknowledging it (a rebalance or
a stop, when faust waits for every delivered message to be acknowledged before it hands the
partitions over): they are not committed, and the group delivers them again.

Ordering the acknowledgements is not enough when an event is never delivered to the agent at
all: faust fetches before it seeks a new assignment to the committed offsets, and the stream
drops what it fetched then; the agent saw its first events of a partition 30 offsets past the
committed one after a restart, acknowledged them, and faust committed past the 30 it never
delivered (found by tests/faults/test_crashes.py). So each partition's events are taken strictly
in sequence from the committed offset (`arrival`): an event beyond the next offset is a GAP (the
agent seeks back to the next offset and lets the event go), one below it a REPEAT (let go).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
import enum
from dataclasses import dataclass
from typing import Any


class Arrival(enum.Enum):
    NEXT = "next"  # the partition's next offset: take it
    REPEAT = "repeat"  # below it: taken already (delivered again after a seek)
    GAP = "gap"  # beyond it: an event before this one was not delivered
    UNKNOWN = "unknown"  # where the partition starts is not known yet (`start_at`)


def let_go(event: Any) -> None:
    """Tell faust to stop waiting for an event without acknowledging it: never committed."""
    event.message.acked = True


@dataclass(eq=False, slots=True)
class Tracked:
    event: Any  # a faust Event
    partition: int
    offset: int
    done: bool = False


class OrderedAcks:
    def __init__(self, ack: Callable[[Any], object], *, max_held: int) -> None:
        self._ack = ack
        self.max_held = max_held
        self._partitions: dict[int, deque[Tracked]] = {}
        self._held = 0
        self._room = asyncio.Event()
        self._room.set()
        self.acked = 0
        self._next: dict[int, int] = {}  # partition -> the offset to take next

    def start_at(self, partition: int, offset: int) -> None:
        """Where a partition's events start: its committed offset (or the log's start)."""
        self._next.setdefault(partition, offset)

    def next_offset(self, partition: int) -> int | None:
        return self._next.get(partition)

    def arrival(self, partition: int, offset: int) -> Arrival:
        expected = self._next.get(partition)
        if expected is None:
            return Arrival.UNKNOWN
        if offset == expected:
            return Arrival.NEXT
        return Arrival.REPEAT if offset < expected else Arrival.GAP

    @property
    def held(self) -> int:
        """Events delivered and not acknowledged yet (done or not)."""
        return self._held

    @property
    def oldest_held(self) -> dict[int, int]:
        """Per partition, the offset of the oldest event not acknowledged."""
        return {partition: queue[0].offset for partition, queue in self._partitions.items()
                if queue}

    def track(self, event: Any) -> Tracked:
        """Hold an event; it must be its partition's NEXT arrival."""
        message = event.message
        arrival = self.arrival(message.partition, message.offset)
        if arrival is not Arrival.NEXT:
            raise ValueError(f"partition {message.partition}: offset {message.offset} is a "
                             f"{arrival.value} arrival (next: {self._next.get(message.partition)})")
        self._next[message.partition] = message.offset + 1
        queue = self._partitions.setdefault(message.partition, deque())
        tracked = Tracked(event, message.partition, message.offset)
        queue.append(tracked)
        self._held += 1
        if self._held >= self.max_held:
            self._room.clear()
        return tracked

    def done(self, tracked: Tracked) -> int:
        """Mark an event done; acknowledge it and the done events after it if nothing before
        them is still in flight. Returns how many were acknowledged."""
        tracked.done = True
        queue = self._partitions.get(tracked.partition)
        acked = 0
        # Synchronous: no other task can acknowledge on this partition in between.
        while queue and queue[0].done:
            self._ack(queue.popleft().event)
            acked += 1
        self._held -= acked
        self.acked += acked
        if self._held < self.max_held:
            self._room.set()
        return acked

    async def room(self) -> None:
        """Until fewer than `max_held` events are held."""
        await self._room.wait()

    def release(self) -> int:
        """Forget every event not acknowledged, without acknowledging it (faust stops waiting
        for it, and it is not committed). Returns how many were released."""
        released = 0
        for queue in self._partitions.values():
            for tracked in queue:
                let_go(tracked.event)
                released += 1
        self._partitions.clear()
        self._next.clear()  # the group delivers again from the committed offsets
        self._held = 0
        self._room.set()
        return released
