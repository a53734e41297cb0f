"""The consumer the agents run with commits past the offsets it was told hold no record, and
never past offsets faust only guessed empty (faust's own `_new_offset` does the commit math)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from faust.transport.drivers.aiokafka import Consumer
from faust.types import TP
from intervaltree import IntervalTree

from stocksync.streams.faust_consumer import agents_consumer_class

TOPIC_P0 = TP("sync-records", 0)


def consumer_state(cls: type, committed: int) -> Any:
    """The attributes faust's commit math reads, as faust's consumer keeps them."""
    state = SimpleNamespace(_acked=defaultdict(list), _acked_index=defaultdict(set),
                            _gap=defaultdict(IntervalTree),
                            _committed_offset=defaultdict(lambda: None))
    state._committed_offset[TOPIC_P0] = committed
    for name in ("_add_gap", "add_known_gap", "_new_offset"):
        if hasattr(cls, name):
            setattr(state, name, getattr(cls, name).__get__(state))
    return state


def ack(state: Any, *offsets: int) -> None:
    state._acked[TOPIC_P0].extend(offsets)
    state._acked_index[TOPIC_P0].update(offsets)


def commit(state: Any) -> int | None:
    """The offset a commit now would write, recorded as committed (as faust does)."""
    offset = state._new_offset(TOPIC_P0)
    if offset is not None:
        state._committed_offset[TOPIC_P0] = offset
    return offset


def commit_until_still(state: Any) -> int | None:
    """Commit (faust does so every second) until the committed offset stops moving."""
    for _ in range(1_000):
        before = state._committed_offset[TOPIC_P0]
        commit(state)
        if state._committed_offset[TOPIC_P0] == before:
            return before
    raise AssertionError("the committed offset kept moving")


def test_faust_commits_past_offsets_it_only_guessed_empty() -> None:
    """The fault: a message fetched from 513 arrives first after an assignment at 116."""
    state = consumer_state(Consumer, committed=116)
    asyncio.run(state._add_gap(TOPIC_P0, 117, 513))  # what _drain_messages does
    ack(state, *range(116, 131))  # sought back, the agent takes 116-130
    assert 514 == commit_until_still(state)  # 131-513 counted as done: no agent saw them


def test_ours_commits_only_what_was_acknowledged_or_reported_empty() -> None:
    state = consumer_state(agents_consumer_class(Consumer), committed=116)
    asyncio.run(state._add_gap(TOPIC_P0, 117, 513))  # faust's guess: not taken
    ack(state, *range(116, 118))
    assert 118 == commit_until_still(state)
    # A hole at the next offset (a compacted key, a transaction marker), reported by
    # InSequence before the message after it is acknowledged: commits step over it.
    asyncio.run(state.add_known_gap(TOPIC_P0, 118, 121))
    ack(state, 121, 122)
    assert 123 == commit_until_still(state)


def test_a_hole_at_the_committed_offset_itself_does_not_hold_commits_back() -> None:
    state = consumer_state(agents_consumer_class(Consumer), committed=40)
    asyncio.run(state.add_known_gap(TOPIC_P0, 40, 43))
    ack(state, 43)
    assert 44 == commit_until_still(state)
