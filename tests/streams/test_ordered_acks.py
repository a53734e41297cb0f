"""OrderedAcks against faust 0.15.3's own acknowledgement and commit bookkeeping
(`Consumer.ack`, `Consumer._new_offset`), run on a stand-in for the consumer's state: acked out
of order, faust commits past an event in flight; through OrderedAcks it never does."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any
from weakref import WeakSet

import pytest
from faust.transport.consumer import Consumer
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from stocksync.streams.ordered_acks import OrderedAcks

TOPIC = "push-commands"


class FaustBook:
    """The part of a faust Consumer that decides what is committed."""

    def __init__(self, committed: int | None) -> None:
        self.app = SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: True))
        self._acked: dict[TP, list[int]] = defaultdict(list)
        self._acked_index: dict[TP, set[int]] = defaultdict(set)
        self._gap: dict[TP, Any] = defaultdict(lambda: None)
        self._committed_offset: dict[TP, int | None] = defaultdict(lambda: None)
        self._committed_offset[TP(TOPIC, 0)] = committed
        self._unacked_messages: WeakSet[ConsumerMessage] = WeakSet()
        self._waiting_for_ack = None
        self._n_acked = 0

    def ack(self, message: ConsumerMessage) -> bool:
        return Consumer.ack(self, message)  # type: ignore[arg-type]

    def commit(self, partition: int) -> int | None:
        """Commit as faust's periodic commits would (`_filter_committable_offsets`, then
        `_commit_offsets` remembers what it wrote), until nothing more is committable; the
        partition's committed offset."""
        tp = TP(TOPIC, partition)
        while True:
            offset = Consumer._new_offset(self, tp)  # type: ignore[arg-type]
            if offset is None or not Consumer._should_commit(self, tp, offset):  # type: ignore[arg-type]
                return self._committed_offset[tp]
            self._committed_offset[tp] = offset


def events(book: FaustBook, partition: int, offsets: range) -> list[Any]:
    found = []
    for offset in offsets:
        message = ConsumerMessage(TOPIC, partition, offset, 0.0, 0, None, b"k", b"v", None,
                                  tp=TP(TOPIC, partition))
        book._unacked_messages.add(message)
        found.append(SimpleNamespace(message=message,
                                     ack=lambda m=message: m.ack(book)))  # Event.ack
    return found


@pytest.mark.parametrize("committed", [None, 0, 5])
def test_faust_alone_commits_past_an_event_in_flight(committed: int | None) -> None:
    """The fault OrderedAcks exists for: offset 5 stalls, 6-9 are acked, and faust would commit
    10 (a crash then never delivers 5 again)."""
    book = FaustBook(committed)
    delivered = events(book, 0, range(5 if committed == 5 else 0, 10))
    for event in delivered:
        if event.message.offset != 5:
            event.ack()
    assert 10 == book.commit(0)


@pytest.mark.parametrize("committed", [None, 0, 5])
def test_through_ordered_acks_the_commit_stops_before_the_event_in_flight(
        committed: int | None) -> None:
    book = FaustBook(committed)
    acks = OrderedAcks(lambda event: event.ack(), max_held=100)
    first = 5 if committed == 5 else 0
    tracked = {event.message.offset: acks.track(event)
               for event in events(book, 0, range(first, 10))}
    other = [acks.track(event) for event in events(book, 1, range(0, 3))]
    for offset in range(9, 5, -1):  # 6-9 finish, newest first
        assert 0 == acks.done(tracked[offset])
    for offset in range(first, 5):
        acks.done(tracked[offset])
    for item in other:  # another partition is not held up by partition 0
        acks.done(item)
    assert (5, 3, 5) == (book.commit(0), book.commit(1), acks.held)
    assert 5 == acks.done(tracked[5])  # the stalled one ends: it and 6-9 are acknowledged
    assert (10, 0) == (book.commit(0), acks.held)


def test_release_lets_go_uncommitted_and_faust_stops_waiting() -> None:
    """A rebalance: the events held are released; faust's wait for unacknowledged messages
    (it drops those marked acked) ends, and nothing past the last acknowledged is committed."""
    book = FaustBook(None)
    acks = OrderedAcks(lambda event: event.ack(), max_held=100)
    delivered = [acks.track(event) for event in events(book, 0, range(0, 6))]
    acks.done(delivered[0])
    acks.done(delivered[1])
    acks.done(delivered[4])
    assert 4 == acks.release()
    still_waiting = {m for m in book._unacked_messages if not m.acked}
    assert (2, set(), 0) == (book.commit(0), still_waiting, acks.held)
    acks.done(delivered[2])  # a push that ends after the release acknowledges nothing
    assert 2 == book.commit(0)


def test_max_held_blocks_taking_until_one_is_acknowledged() -> None:
    book = FaustBook(None)
    acks = OrderedAcks(lambda event: event.ack(), max_held=2)
    first, second = (acks.track(event) for event in events(book, 0, range(0, 2)))
    full = not acks._room.is_set()
    acks.done(second)
    still_full = not acks._room.is_set()
    acks.done(first)
    assert (True, True, True) == (full, still_full, acks._room.is_set())


def test_an_offset_delivered_out_of_order_is_refused() -> None:
    book = FaustBook(None)
    acks = OrderedAcks(lambda event: event.ack(), max_held=10)
    later, earlier = events(book, 0, range(3, 5))[::-1]
    acks.track(later)
    with pytest.raises(ValueError, match="offset 3 delivered after 4"):
        acks.track(earlier)
