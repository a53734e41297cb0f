"""InSequence: an agent takes a partition's messages only in offset order from where the group
committed; a gap seeks the consumer back, and nothing after it is taken (so never committed)
until the missing messages come."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from stocksync.streams.in_sequence import InSequence


def event(partition: int, offset: int) -> Any:
    return SimpleNamespace(message=SimpleNamespace(partition=partition, offset=offset,
                                                   tp=("topic", partition), acked=False))


def run(sequence: InSequence, events: list[Any]) -> list[int]:
    async def taking() -> list[int]:
        return [e.message.offset for e in events if await sequence.takes(e)]

    return asyncio.run(taking())


def test_a_gap_is_sought_back_and_nothing_after_it_is_taken() -> None:
    sought: list[tuple[Any, int]] = []

    async def seek(tp: Any, offset: int) -> None:
        sought.append((tp, offset))

    sequence = InSequence(seek, lambda: {0: 140, 1: 0}, "test")
    # Step 1: after a restart faust hands over partition 0 from 170 (140-169 never came).
    late = [event(0, n) for n in range(170, 175)]
    assert [] == run(sequence, late)
    assert [(("topic", 0), 140)] == sought  # once, not once per message
    assert all(e.message.acked for e in late)  # let go: faust will not commit them
    # Step 2: the seek brings 140 on; then 170-174 again, now in their turn.
    assert list(range(140, 175)) == run(sequence, [event(0, n) for n in range(140, 175)])
    # Step 3: what comes twice is let go; another partition starts at its own offset.
    assert [0, 1] == run(sequence, [event(0, 150), event(1, 0), event(1, 1)])
    assert (175, 2, 1) == (sequence.next_offset(0), sequence.next_offset(1), sequence.gaps)


def test_forgotten_partitions_start_again_from_the_broker() -> None:
    starts = {0: 5}

    async def seek(tp: Any, offset: int) -> None:
        raise AssertionError("no gap here")

    sequence = InSequence(seek, lambda: dict(starts), "test")
    assert [5, 6] == run(sequence, [event(0, 5), event(0, 6)])
    # Released uncommitted (a rebalance): the group delivers again from its committed offset.
    starts[0] = 6
    sequence.forget()
    assert [6, 7] == run(sequence, [event(0, 6), event(0, 7)])
