"""The frozen heap: what outlives a tick is out of the collector's way until the timed full
collection, which reclaims the cycles that died frozen."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from stocksync.gc_freeze import FrozenHeap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_a_cycle_frozen_alive_is_reclaimed_by_the_timed_full_collection() -> None:
    now = [0.0]
    heap = FrozenHeap(full_every_s=60.0, clock=lambda: now[0])
    # Step 1: a cycle alive at a tick is frozen; once garbage, no collection finds it.
    alive = cycle()
    frozen_before = gc.get_freeze_count()
    assert heap.tick() is None
    assert gc.get_freeze_count() > frozen_before
    gc.collect()
    assert alive() is not None
    # Step 2: before the interval, a tick only freezes.
    now[0] = 59.0
    assert heap.tick() is None and alive() is not None
    # Step 3: the full collection unfreezes and collects, then freezes what is left.
    now[0] = 60.0
    full = heap.tick()
    assert full is not None and full.collected >= 2 and full.seconds >= 0
    assert alive() is None
    assert gc.get_freeze_count() > 0


def test_young_cycles_are_still_collected_between_ticks() -> None:
    heap = FrozenHeap(full_every_s=60.0, clock=lambda: 0.0)
    heap.tick()
    young = cycle()  # made after the tick, garbage before the next one
    gc.collect(1)
    assert young() is None


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        FrozenHeap(full_every_s=0)
