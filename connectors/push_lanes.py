"""Push lanes: every listing pushes on its own, so no store (and no listing) waits for another.

Transport-agnostic: the Kafka side offers each push command as a `Job`; the lane of its listing
(store id, store SKU) runs its jobs one at a time, in the order offered, with `run`. A listing
with nothing to do has no lane and no task.

While a listing's push is stuck (its marketplace has not answered for `supersede_after_s`) or
`max_queued` jobs already wait behind it, a newer job supersedes the ones that wait (never the
one in flight): they are handed to `retire` with the job that replaced them and never run, so a
marketplace that stops answering holds at most one waiting job per listing, whatever the time it
stays away. The superseding job runs only once `retire` has returned, so a retired job's outcome
is recorded before a newer one's.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from stocksync.domain.sync import SyncRecord
from stocksync.logs import get_logger

log = get_logger(__name__)

SUPERSEDE_AFTER_S = 15.0  # one attempt's timeout: the marketplace is not answering
MAX_QUEUED_PER_LISTING = 16


@dataclass(eq=False, slots=True)
class Job:
    record: SyncRecord
    ticket: Any = None  # the caller's own handle (the Kafka event), passed back untouched
    after: asyncio.Task[None] | None = field(default=None, repr=False)  # retiring what it replaced


Run = Callable[[Job], Awaitable[None]]
Retire = Callable[[Sequence[Job], Job], Awaitable[None]]


@dataclass(eq=False, slots=True)
class _Lane:
    waiting: deque[Job] = field(default_factory=deque)
    running: Job | None = None
    started: float = 0.0
    task: asyncio.Task[None] | None = None


class PushLanes:
    def __init__(self, run: Run, retire: Retire, *,
                 supersede_after_s: float = SUPERSEDE_AFTER_S,
                 max_queued: int = MAX_QUEUED_PER_LISTING,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_queued < 1:
            raise ValueError("max_queued must be at least 1")
        self._run = run
        self._retire = retire
        self.supersede_after_s = supersede_after_s
        self.max_queued = max_queued
        self._clock = clock
        self._lanes: dict[tuple[str, str], _Lane] = {}
        self._retiring: set[asyncio.Task[None]] = set()
        self.superseded = 0  # jobs retired so far
        self.failure: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def offer(self, job: Job) -> list[Job]:
        """Queue `job` behind its listing's earlier jobs and start the listing's lane if it has
        none; returns the waiting jobs it supersedes (already handed to `retire`)."""
        key = (job.record.store_id, job.record.store_sku)
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        replaced: list[Job] = []
        if lane.waiting and (len(lane.waiting) >= self.max_queued or (
                lane.running is not None
                and self._clock() - lane.started >= self.supersede_after_s)):
            replaced = list(lane.waiting)
            lane.waiting.clear()
            job.after = asyncio.create_task(self._retire(replaced, job))
            self._retiring.add(job.after)
            job.after.add_done_callback(self._retiring.discard)
            self.superseded += len(replaced)
        lane.waiting.append(job)
        if lane.task is None:
            lane.task = asyncio.create_task(self._drive(key, lane))
        return replaced

    async def _drive(self, key: tuple[str, str], lane: _Lane) -> None:
        try:
            while lane.waiting:
                job = lane.waiting.popleft()
                lane.running, lane.started = job, self._clock()
                if job.after is not None:
                    await job.after
                await self._run(job)
                lane.running = None
        except Exception as exc:
            # `run` reports a push's failures itself; what escapes it (the broker gone) stops
            # every lane: the caller sees `failure` and restarts from the committed offsets.
            log.exception("push_lane_crashed", store_id=key[0], store_sku=key[1])
            if not self.failure.done():
                self.failure.set_exception(exc)
        finally:
            if self._lanes.get(key) is lane:
                del self._lanes[key]

    @property
    def listings(self) -> int:
        """Listings with a job running or waiting."""
        return len(self._lanes)

    @property
    def waiting(self) -> int:
        return sum(len(lane.waiting) for lane in self._lanes.values())

    @property
    def running(self) -> int:
        return sum(1 for lane in self._lanes.values() if lane.running is not None)

    async def cancel_all(self) -> None:
        """Drop every waiting job and cancel every push in flight (a rebalance or a stop: the
        commands will be delivered again)."""
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        tasks += list(self._retiring)
        self._lanes.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drained(self) -> None:
        """Until no listing has work (for tests and shutdown)."""
        while self._lanes or self._retiring:
            await asyncio.gather(*(lane.task for lane in list(self._lanes.values())
                                   if lane.task is not None), *self._retiring,
                                 return_exceptions=True)
