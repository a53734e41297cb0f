"""Push lanes: listings push independently, one listing in order, and a listing whose push is
stuck keeps one waiting job, the others retired as superseded."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from stocksync.connectors.push_lanes import Job, PushLanes

from .helpers import record, run


class Marketplace:
    """`run` for the lanes: a push to a blocked store waits until it is unblocked."""

    def __init__(self) -> None:
        self.pushed: list[str] = []
        self.retired: list[tuple[list[str], str]] = []
        self.open: dict[str, asyncio.Event] = {}

    def block(self, store_id: str) -> None:
        self.open.setdefault(store_id, asyncio.Event()).clear()

    def unblock(self, store_id: str) -> None:
        self.open.setdefault(store_id, asyncio.Event()).set()

    async def run(self, job: Job) -> None:
        gate = self.open.get(job.record.store_id)
        if gate is not None:
            await gate.wait()
        self.pushed.append(job.record.record_id)

    async def retire(self, jobs: Sequence[Job], by: Job) -> None:
        await asyncio.sleep(0)
        self.retired.append(([job.record.record_id for job in jobs], by.record.record_id))


def job(record_id: str, store_id: str = "S1", store_sku: str = "SKU-1") -> Job:
    return Job(record(record_id, store_id=store_id, store_sku=store_sku))


def test_a_blocked_store_holds_only_its_own_listings() -> None:
    """S1 does not answer: S2's jobs all run, S1's wait, and run in order when it answers."""
    async def scenario() -> tuple[list[str], list[str], int]:
        market = Marketplace()
        lanes = PushLanes(market.run, market.retire, supersede_after_s=3600)
        market.block("S1")
        for n in range(3):
            lanes.offer(job(f"A{n}", "S1"))
            lanes.offer(job(f"B{n}", "S2", f"SKU-{n}"))
        await asyncio.sleep(0.05)
        while_blocked = list(market.pushed)
        waiting = lanes.waiting
        market.unblock("S1")
        await lanes.drained()
        return while_blocked, market.pushed, waiting

    while_blocked, pushed, waiting = run(scenario())
    assert (["B0", "B1", "B2"], ["A0", "A1", "A2"], 2) == (
        sorted(while_blocked), pushed[3:], waiting)


def test_a_stuck_listing_keeps_only_the_newest_waiting_job() -> None:
    """Once the push in flight has been stuck for supersede_after_s, each new job retires the
    waiting ones; the superseding job runs after their retirement; the job in flight is never
    retired."""
    async def scenario() -> tuple[list[str], list[tuple[list[str], str]], int]:
        now = [0.0]
        market = Marketplace()
        lanes = PushLanes(market.run, market.retire, supersede_after_s=15,
                          clock=lambda: now[0])
        market.block("S1")
        for name in ("R0", "R1", "R2"):  # R0 in flight, R1 and R2 wait (not stuck yet)
            lanes.offer(job(name))
            await asyncio.sleep(0)
        now[0] = 20.0  # R0 has not been answered for 20 s
        for name in ("R3", "R4"):
            lanes.offer(job(name))
            await asyncio.sleep(0)
        waiting = lanes.waiting
        market.unblock("S1")
        await lanes.drained()
        return market.pushed, market.retired, waiting

    pushed, retired, waiting = run(scenario())
    assert (["R0", "R4"], [(["R1", "R2"], "R3"), (["R3"], "R4")], 1) == (
        pushed, retired, waiting)


def test_a_long_queue_is_cut_at_max_queued_even_when_not_stuck() -> None:
    async def scenario() -> tuple[list[str], int]:
        market = Marketplace()
        lanes = PushLanes(market.run, market.retire, supersede_after_s=3600, max_queued=2)
        market.block("S1")
        most = 0
        for n in range(6):  # R0 in flight; R3 retires R1-R2, R5 retires R3-R4
            lanes.offer(job(f"R{n}"))
            await asyncio.sleep(0)
            most = max(most, lanes.waiting)
        market.unblock("S1")
        await lanes.drained()
        return market.pushed, most

    pushed, most = run(scenario())
    assert (["R0", "R5"], 2) == (pushed, most)


def test_cancel_all_stops_pushes_in_flight_and_forgets_the_waiting() -> None:
    async def scenario() -> tuple[list[str], int]:
        market = Marketplace()
        lanes = PushLanes(market.run, market.retire)
        market.block("S1")
        lanes.offer(job("R0"))
        lanes.offer(job("R1"))
        await asyncio.sleep(0)
        await lanes.cancel_all()
        market.unblock("S1")
        await asyncio.sleep(0.01)
        return market.pushed, lanes.listings

    assert ([], 0) == run(scenario())


def test_a_run_that_raises_is_reported_as_the_lanes_failure() -> None:
    async def scenario() -> BaseException | None:
        async def broken(job: Job) -> None:
            raise ConnectionError("broker gone")

        lanes = PushLanes(broken, Marketplace().retire)
        lanes.offer(job("R0"))
        await lanes.drained()
        return lanes.failure.exception()

    assert isinstance(run(scenario()), ConnectionError)
