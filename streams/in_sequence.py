"""Take each partition's messages strictly in offset order from the group's committed offset.

faust 0.15.3 does not always hand an agent every message of a partition. The crash test
(tests/faults/test_crashes.py) caught it twice after a `kill -9` and restart:
- the push agent was handed a partition's commands starting 30 offsets past the committed one;
- the fold never folded 5 stock events (1 or 2 in three of the four partitions).
In both cases the agent acknowledged what came after the missing offsets, and faust (which
commits the run of acknowledged offsets that starts at the smallest acknowledged one, without
checking it against the committed offset when it has none in memory) committed past them: those
commands were never pushed nor those events folded, and no restart would bring them back. Where
faust drops them was not pinned down; its fetcher reads before it seeks a new assignment to the
committed offsets, and it gives up delivering a message when its flow is suspended, both of
which fit.

So an agent asks `takes(event)` of every message. A message at the partition's next offset is
taken; one beyond it is a gap: the consumer is sought back to the next offset (at most once a
second per partition while the missing ones come back) and the message let go; one below it was
taken already and is let go. A message let go is never acknowledged, so never committed. Where
a partition starts is read from the broker (the group's committed offset, or the log's start)
the first time one of its messages arrives, and again after `forget` (its partitions revoked, or
its messages released uncommitted).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from stocksync.logs import get_logger
from stocksync.streams.ordered_acks import let_go

log = get_logger(__name__)

SEEK_EVERY_S = 1.0


def consumer_seek(app: Any) -> Callable[[Any, int], Any]:
    """The app consumer's seek, looked up when called (the consumer exists once the app runs)."""
    return lambda tp, offset: app.consumer.seek(tp, offset)


class InSequence:
    def __init__(self, seek: Callable[[Any, int], Any],
                 start_offsets: Callable[[], Mapping[int, int]], name: str) -> None:
        self._seek = seek  # (faust TP, offset) -> awaitable: the app consumer's seek
        self._start_offsets = start_offsets  # blocking; run in an executor
        self._name = name
        self._next: dict[int, int] = {}  # partition -> the offset to take next
        self._sought: dict[int, float] = {}  # partition -> when it was last sought back
        self.gaps = 0  # gaps seen: messages not handed over by faust

    def next_offset(self, partition: int) -> int | None:
        return self._next.get(partition)

    def forget(self, partitions: Iterable[int] | None = None) -> None:
        """Read where these partitions (None: all) start from the broker again."""
        for partition in list(self._next) if partitions is None else partitions:
            self._next.pop(partition, None)

    async def takes(self, event: Any) -> bool:
        message = event.message
        partition, offset = message.partition, message.offset
        if partition not in self._next:
            starts = await asyncio.get_running_loop().run_in_executor(None, self._start_offsets)
            for known, start in starts.items():
                self._next.setdefault(known, start)
        expected = self._next.get(partition, offset)
        if offset == expected:
            self._next[partition] = offset + 1
            return True
        let_go(event)
        if offset > expected:
            await self._seek_back(message, expected)
        return False

    async def _seek_back(self, message: Any, expected: int) -> None:
        now = time.monotonic()
        if now - self._sought.get(message.partition, -SEEK_EVERY_S) < SEEK_EVERY_S:
            return
        self._sought[message.partition] = now
        self.gaps += 1
        log.warning("partition_gap", agent=self._name, partition=message.partition,
                    expected=expected, delivered=message.offset)
        await self._seek(message.tp, expected)
