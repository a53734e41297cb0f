"""InSequence: an agent takes a partition's messages only in offset order from where the group
committed; a gap seeks the consumer back, and nothing after it is taken (so never committed)
until the missing messages come; offsets that hold no record are stepped over and reported."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from stocksync.streams.in_sequence import InSequence


def event(partition: int, offset: int) -> Any:
    return SimpleNamespace(message=SimpleNamespace(partition=partition, offset=offset,
                                                   tp=("topic", partition), acked=False))


class FakeConsumer:
    def __init__(self) -> None:
        self.sought: list[tuple[Any, int]] = []
        self.gaps: list[tuple[Any, int, int]] = []

    async def seek(self, tp: Any, offset: int) -> None:
        self.sought.append((tp, offset))

    async def add_known_gap(self, tp: Any, start: int, end: int) -> None:
        self.gaps.append((tp, start, end))


class Log:
    """Which offsets of each partition hold a record; counts the questions asked."""

    def __init__(self, empty: set[tuple[int, int]] = frozenset(), end: int = 100_000) -> None:
        self.empty, self.end, self.asked = set(empty), end, 0

    def existing(self, partition: int, start: int, limit: int = 10_000) -> tuple[list[int], int]:
        self.asked += 1
        found = [o for o in range(start, self.end) if (partition, o) not in self.empty][:limit]
        return found, (self.end if len(found) < limit else found[-1] + 1)


def sequence_over(starts: dict[int, int], log: Log | None = None
                  ) -> tuple[InSequence, FakeConsumer, Log]:
    consumer, log = FakeConsumer(), log or Log()
    return InSequence(lambda: consumer, lambda: dict(starts), log.existing, "test"), consumer, log


def run(sequence: InSequence, events: list[Any]) -> list[int]:
    async def taking() -> list[int]:
        return [e.message.offset for e in events if await sequence.takes(e)]

    return asyncio.run(taking())


def test_a_gap_is_sought_back_and_nothing_after_it_is_taken() -> None:
    sequence, consumer, log = sequence_over({0: 140, 1: 0})
    # Step 1: after a restart faust hands over partition 0 from 170 (140-169 never came).
    late = [event(0, n) for n in range(170, 175)]
    assert [] == run(sequence, late)
    assert [(("topic", 0), 140)] == consumer.sought  # once, not once per message
    assert 1 == log.asked  # the broker was asked once; its answer covers the others
    assert all(e.message.acked for e in late)  # let go: faust will not commit them
    # Step 2: the seek brings 140 on; then 170-174 again, now in their turn.
    assert list(range(140, 175)) == run(sequence, [event(0, n) for n in range(140, 175)])
    # Step 3: what comes twice is let go; another partition starts at its own offset.
    assert [0, 1] == run(sequence, [event(0, 150), event(1, 0), event(1, 1)])
    assert (175, 2, 1) == (sequence.next_offset(0), sequence.next_offset(1), sequence.gaps)
    assert [] == consumer.gaps


def test_offsets_without_a_record_are_stepped_over_and_reported() -> None:
    # Compaction emptied 3-5 and 8; a transaction marker sits at 10.
    empty = {(0, 3), (0, 4), (0, 5), (0, 8), (0, 10)}
    sequence, consumer, log = sequence_over({0: 3}, Log(empty))
    assert [6, 7, 9, 11] == run(sequence, [event(0, n) for n in (6, 7, 9, 11)])
    assert [(("topic", 0), 3, 6), (("topic", 0), 8, 9), (("topic", 0), 10, 11)] == consumer.gaps
    assert ([], 1, 3) == (consumer.sought, log.asked, sequence.holes)


def test_a_record_compacted_away_after_the_broker_was_asked_is_stepped_over_later() -> None:
    log = Log()
    sequence, consumer, log = sequence_over({0: 0}, log)
    assert [0] == run(sequence, [event(0, 0)])
    assert [] == run(sequence, [event(0, 5)])  # 1-4 hold records: a gap, sought back
    log.empty |= {(0, 1), (0, 2), (0, 3), (0, 4)}  # ...and compacted away meanwhile
    sequence._sought[0] = (sequence._sought[0][0] - 2, 1)  # a second later
    assert [] == run(sequence, [event(0, 5)])  # sought back to 1 again: ask again next time
    assert [5] == run(sequence, [event(0, 5)])
    assert [(("topic", 0), 1, 5)] == consumer.gaps
    assert [(("topic", 0), 1), (("topic", 0), 1)] == consumer.sought


def test_forgotten_partitions_start_again_from_the_broker() -> None:
    starts = {0: 5}
    consumer, log = FakeConsumer(), Log()
    sequence = InSequence(lambda: consumer, lambda: dict(starts), log.existing, "test")
    assert [5, 6] == run(sequence, [event(0, 5), event(0, 6)])
    # Released uncommitted (a rebalance): the group delivers again from its committed offset.
    starts[0] = 6
    sequence.forget()
    assert [6, 7] == run(sequence, [event(0, 6), event(0, 7)])
    assert [] == consumer.sought


def test_a_rewind_seeks_back_to_the_committed_offset_and_takes_from_there() -> None:
    starts = {0: 5, 1: 0}
    consumer, log = FakeConsumer(), Log()
    sequence = InSequence(lambda: consumer, lambda: dict(starts), log.existing, "test")
    assert [5, 6, 7] == run(sequence, [event(0, 5), event(0, 6), event(0, 7)])
    # Step 1: 5 was committed, 6 and 7 were let go (a push lane failed) and nothing follows
    # them in the log: only a seek brings them again.
    starts[0] = 6
    tp = SimpleNamespace(topic="topic", partition=0)
    asyncio.run(sequence.rewind([tp]))
    assert [(tp, 6)] == consumer.sought
    # Step 2: a message fetched before the seek is let go without seeking again; the sought
    # ones are taken.
    assert [6, 7] == run(sequence, [event(0, 8), event(0, 6), event(0, 7)])
    assert [(tp, 6)] == consumer.sought


def test_a_stalled_partition_is_sought_back_once_its_messages_wait_long_enough(
        monkeypatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("stocksync.streams.in_sequence.time.monotonic", lambda: clock[0])
    sequence, consumer, _ = sequence_over({0: 0, 1: 0}, Log(end=12))
    tp = ("topic", 0)
    assert [0, 1, 2] == run(sequence, [event(0, 0), event(0, 1), event(0, 2)])
    ends = {tp: 3}
    stalled = lambda: asyncio.run(sequence.resume_stalled(ends.__getitem__))  # noqa: E731
    # Step 1: nothing waits past the next offset: no seek, however long it stays quiet.
    clock[0] += 60
    assert [] == stalled()
    # Step 2: messages wait at 3..11 and none comes: sought back only after STALL_S.
    ends[tp] = 12
    clock[0] -= 60 - 2
    assert [] == stalled()
    clock[0] += 5
    assert [0] == stalled() and [(tp, 3)] == consumer.sought
    # Step 3: not again before another STALL_S; once the messages come, quiet again.
    clock[0] += 1
    assert [] == stalled()
    assert [3, 4] == run(sequence, [event(0, 3), event(0, 4)])
    clock[0] += 4.9
    assert [] == stalled() and 1 == len(consumer.sought)
