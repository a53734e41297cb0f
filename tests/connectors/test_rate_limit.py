"""TokenBucket: our per-store request rate and the marketplace's pauses."""

import asyncio

from stocksync.connectors.rate_limit import TokenBucket

from .helpers import FakeTime, run


def acquire_times(bucket: TokenBucket, time: FakeTime, count: int) -> list[float]:
    async def scenario() -> list[float]:
        times = []
        for _ in range(count):
            await bucket.acquire()
            times.append(time.now - 1000.0)
        return times
    return run(scenario())


def test_requests_are_spaced_at_the_rate_after_the_burst() -> None:
    """Rate 4/s, burst 2: two at once, then one every 0.25 s."""
    time = FakeTime()
    bucket = TokenBucket(4, 2, clock=time.clock, sleep=time.sleep)
    assert [0.0, 0.0, 0.25, 0.5, 0.75] == acquire_times(bucket, time, 5)


def test_a_pause_holds_requests_until_it_ends() -> None:
    """After pause(3), the next request leaves 3 s later, the one after at the rate."""
    time = FakeTime()
    bucket = TokenBucket(10, 5, clock=time.clock, sleep=time.sleep)
    bucket.pause(3.0)
    assert [3.0, 3.1] == [round(t, 6) for t in acquire_times(bucket, time, 2)]


def test_waiters_are_served_in_arrival_order() -> None:
    """Concurrent callers get their tokens first come, first served."""
    time = FakeTime()
    bucket = TokenBucket(1, 1, clock=time.clock, sleep=time.sleep)
    served: list[int] = []

    async def take(n: int) -> None:
        await bucket.acquire()
        served.append(n)

    async def scenario() -> None:
        await asyncio.gather(*(take(n) for n in range(5)))

    run(scenario())
    assert [0, 1, 2, 3, 4] == served
