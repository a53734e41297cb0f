"""Keeps CPython's full garbage collections out of a worker's batches.

A worker holds a large long-lived heap: the fold's decoded SKU states, faust's and aiokafka's
own structures. A full (generation 2) collection walks every tracked object of it; under the
benchmark's paced load one took 180 to 260 ms, every 2 to 3 s, in the middle of a batch, and
every push command waiting on that batch paid for it (BENCHMARKS.md, "Garbage collection").

`gc.freeze()` moves everything alive at that moment into a permanent generation that
collections skip. Reference counting still frees those objects when they die; only a reference
cycle that becomes garbage after it was frozen stays until the next full collection. So: freeze
every `freeze_every_s`, so that objects which outlive a tick stop costing the collector (young
cycles are still collected by generations 0 and 1, which run every few hundred allocations),
and every `full_every_s` unfreeze and collect everything once: one pause on a timer, not one
every few seconds, and frozen cycles are reclaimed.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FullCollection:
    collected: int  # unreachable objects found
    seconds: float  # how long the collection paused the process


class FrozenHeap:
    def __init__(self, full_every_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if full_every_s <= 0:
            raise ValueError(f"full_every_s must be positive, not {full_every_s}")
        self._full_every_s = full_every_s
        self._clock = clock
        self._last_full = clock()

    def tick(self) -> FullCollection | None:
        """Freeze what is alive now, after a full collection if one is due (what it did)."""
        now = self._clock()
        done = None
        if now - self._last_full >= self._full_every_s:
            self._last_full = now
            started = time.perf_counter()
            gc.unfreeze()
            collected = gc.collect()
            done = FullCollection(collected, time.perf_counter() - started)
        gc.freeze()
        return done
