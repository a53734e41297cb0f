"""Take each partition's messages strictly in offset order from the group's committed offset.

faust 0.15.3 does not always hand an agent every message of a partition. After a `kill -9` and
restart, the crash test (tests/faults/test_crashes.py) saw agents handed a partition's messages
starting 30 to 400 offsets past the committed one (its fetcher reads before it seeks a new
assignment to the committed offsets), and faust counting the offsets skipped as done (see
`faust_consumer`): commands never pushed, stock events never folded, sync records never
projected, and no restart brought them back.

So an agent asks `takes(event)` of every message. A message at the partition's next offset is
taken; one below it was taken already and is let go. One beyond it is taken if the offsets
between hold no record (a compacted topic's removed keys, transaction markers: the broker is
asked which offsets hold one, a window of up to 10,000 at a time), and that hole is reported to
the consumer so that commits step over it. Otherwise it is a gap: the consumer is sought back to
the next offset (at most once a second per partition while the missing ones come back) and the
message let go; a gap sought back to twice asks the broker again (compaction may have emptied
an offset since). A message let go is never acknowledged, so never committed. Where a partition
starts is read from the broker (the group's committed offset, or the log's start) the first
time one of its messages arrives, and again after `forget` (its partitions revoked, or its
messages released uncommitted).

A gap at the end of a partition has no later message to reveal it: a timer (`resume_stalled`)
seeks back a partition whose next offset has messages waiting (below the consumer's high
watermark, and holding a record) when none was taken for STALL_S. `rewind` seeks partitions back
to the group's committed offsets at once (the push agent's commands after a push lane failed).
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from stocksync.logs import get_logger
from stocksync.settings import Settings
from stocksync.streams.ordered_acks import let_go
from stocksync.topic_reader import existing_offsets, start_offsets

log = get_logger(__name__)

SEEK_EVERY_S = 1.0
STALL_S = 5.0  # messages waiting this long at a partition's next offset are sought again


class Consumer(Protocol):
    """What InSequence needs of faust's consumer (`faust_consumer.agents_consumer_class`)."""

    async def seek(self, tp: Any, offset: int) -> None: ...

    async def add_known_gap(self, tp: Any, start: int, end: int) -> None: ...


def in_sequence_from_group(app: Any, settings: Settings, topic: str, name: str) -> InSequence:
    """An InSequence for an agent of `app` reading `topic`, starting each partition at the
    group's committed offset, and forgetting the partitions the group takes away."""
    sequence = InSequence(lambda: app.consumer,  # it exists once the app runs
                          lambda: start_offsets(settings, settings.app_id, topic),
                          lambda partition, start: existing_offsets(settings, topic, partition,
                                                                    start), name)

    @app.on_partitions_revoked.connect
    async def _forget(app: Any, revoked: set[Any], **kwargs: Any) -> None:  # noqa: ARG001
        sequence.forget(tp.partition for tp in revoked if tp.topic == topic)

    @app.timer(STALL_S, name=f"resume-stalled-{name}")
    async def _resume_stalled() -> None:
        if not app.rebalancing:
            await sequence.resume_stalled(app.consumer.highwater)

    return sequence


ExistingOffsets = Callable[[int, int], tuple[list[int], int]]


class InSequence:
    def __init__(self, consumer: Callable[[], Consumer],
                 start_offsets: Callable[[], Mapping[int, int]], existing: ExistingOffsets,
                 name: str) -> None:
        self._consumer = consumer
        self._start_offsets = start_offsets  # blocking; run in an executor
        self._existing = existing  # (partition, from) -> (offsets holding a record, complete to)
        self._name = name
        self._next: dict[int, int] = {}  # partition -> the offset to take next
        self._sought: dict[int, tuple[float, int]] = {}  # partition -> when, and to which offset
        self._known: dict[int, tuple[int, int, list[int]]] = {}  # partition -> from, to, offsets
        self._tps: dict[int, Any] = {}  # partition -> its faust TP (from its messages)
        self._taken_at: dict[int, float] = {}  # partition -> when it last took a message
        self.gaps = 0  # gaps seen: messages not handed over by faust
        self.holes = 0  # runs of offsets without a record, stepped over

    def next_offset(self, partition: int) -> int | None:
        return self._next.get(partition)

    def forget(self, partitions: Iterable[int] | None = None) -> None:
        """Read where these partitions (None: all) start from the broker again."""
        for partition in list(self._next) if partitions is None else partitions:
            self._next.pop(partition, None)

    async def rewind(self, tps: Iterable[Any]) -> None:
        """Seek these partitions (faust TPs) back to where the group committed, and take them
        from there again: what was delivered and let go comes again, even when no later message
        arrives to reveal a gap (the end of a partition)."""
        tps = list(tps)
        self.forget(tp.partition for tp in tps)
        starts = await asyncio.get_running_loop().run_in_executor(None, self._start_offsets)
        for tp in tps:
            if tp.partition in starts:
                now, start = time.monotonic(), starts[tp.partition]
                # Watched from here (`resume_stalled`) until the sought messages come.
                self._next[tp.partition], self._tps[tp.partition] = start, tp
                self._sought[tp.partition] = (now, start)
                await self._consumer().seek(tp, start)
        log.info("partitions_rewound", agent=self._name,
                 offsets={tp.partition: starts.get(tp.partition) for tp in tps})

    async def takes(self, event: Any) -> bool:
        message = event.message
        partition, offset = message.partition, message.offset
        if partition not in self._next:
            starts = await asyncio.get_running_loop().run_in_executor(None, self._start_offsets)
            for known, start in starts.items():
                self._next.setdefault(known, start)
        expected = self._next.get(partition, offset)
        if offset > expected and await self._nothing_between(partition, expected, offset):
            self.holes += 1
            await self._consumer().add_known_gap(message.tp, expected, offset)
            expected = offset
        if offset == expected:
            self._next[partition] = offset + 1
            self._tps[partition], self._taken_at[partition] = message.tp, time.monotonic()
            return True
        let_go(event)
        if offset > expected:
            await self._seek_back(message, expected)
        return False

    async def resume_stalled(self, end_offset: Callable[[Any], int | None]) -> list[int]:
        """Seek a partition back to its next offset when messages wait there (`end_offset`,
        of a TP, is past it) and none was taken for STALL_S: faust has not handed them over,
        and no later message arrives to reveal the gap (the end of a partition, after a
        rebalance or a release). Returns the partitions sought."""
        now = time.monotonic()
        sought = []
        for partition, expected in list(self._next.items()):
            tp = self._tps.get(partition)
            if tp is None:
                continue
            last = max(self._taken_at.get(partition, float("-inf")),
                       self._sought.get(partition, (float("-inf"), 0))[0])
            if now - last < STALL_S:
                continue
            try:
                end = end_offset(tp)
            except Exception:  # noqa: BLE001 - revoked meanwhile: forgotten with it
                continue
            if end is None or end <= expected or await self._nothing_between(
                    partition, expected, end):
                continue
            await self._seek_to(tp, partition, expected, now, "partition_stalled", end=end)
            sought.append(partition)
        return sought

    async def _nothing_between(self, partition: int, start: int, end: int) -> bool:
        """Whether no offset in [start, end) holds a record."""
        known = self._known.get(partition)
        if known is None or not known[0] <= start or not end <= known[1]:
            found, complete_to = await asyncio.get_running_loop().run_in_executor(
                None, self._existing, partition, start)
            known = self._known[partition] = (start, complete_to, found)
            if not end <= complete_to:  # more than a window's worth of records between
                return False
        offsets = known[2]
        at = bisect_left(offsets, start)
        return at == len(offsets) or offsets[at] >= end

    async def _seek_back(self, message: Any, expected: int) -> None:
        now = time.monotonic()
        when, to = self._sought.get(message.partition, (-SEEK_EVERY_S, -1))
        if now - when < SEEK_EVERY_S:
            return
        if to == expected:  # the seek did not bring it: has it been compacted away since?
            self._known.pop(message.partition, None)
        await self._seek_to(message.tp, message.partition, expected, now, "partition_gap",
                            delivered=message.offset)

    async def _seek_to(self, tp: Any, partition: int, expected: int, now: float, why: str,
                       **detail: Any) -> None:
        """Seek `tp` back to the offset it expects next: a gap, counted and logged as `why`."""
        self._sought[partition] = (now, expected)
        self.gaps += 1
        log.warning(why, agent=self._name, partition=partition, expected=expected, **detail)
        await self._consumer().seek(tp, expected)
