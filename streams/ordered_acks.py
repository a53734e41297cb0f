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
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


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
        message = event.message
        queue = self._partitions.setdefault(message.partition, deque())
        if queue and message.offset <= queue[-1].offset:
            raise ValueError(f"partition {message.partition}: offset {message.offset} delivered "
                             f"after {queue[-1].offset}")
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
        self._held = 0
        self._room.set()
        return released
