"""Pusher: rate limits per store, retries with back-off, and the push result it reports."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable

import pytest

from stocksync.connectors import (
    Connector,
    LastPush,
    MemoryConnector,
    MemoryLastPushed,
    Pusher,
    PushOutcome,
    PushRequest,
    RetryPolicy,
)
from stocksync.connectors.secrets import MissingSecretError
from stocksync.domain.sync import FailureCode, PushCommand, PushResult, Store, SyncStatus

from .helpers import FakeTime, command, run, store

QUICK = RetryPolicy(max_attempts=4, base_delay=0.1, max_delay=1.0, max_total=30.0, jitter=0.0,
                    attempt_timeout=0.05)


def pusher(connectors: dict[str, Connector] | Connector, time_: FakeTime | None = None,
           policy: RetryPolicy = QUICK, last: MemoryLastPushed | None = None) -> Pusher:
    by_store = connectors if isinstance(connectors, dict) else None

    def connect(s: Store) -> Connector:
        if by_store is None:
            assert isinstance(connectors, Connector)
            return connectors
        return by_store[s.store_id]

    if time_ is None:
        return Pusher(connect, last, policy)
    return Pusher(connect, last, policy, clock=time_.clock, wall_clock_ms=time_.wall_clock_ms,
                  sleep=time_.sleep, rng=random.Random(7))


def push(p: Pusher, *commands_and_stores: tuple[PushCommand, Store | None]) -> list[PushResult]:
    async def scenario() -> list[PushResult]:
        async with p:
            return [await p.push(c, s) for c, s in commands_and_stores]
    return run(scenario())


def test_a_push_reports_success_with_the_pushed_qty() -> None:
    """A push that the marketplace accepts is SUCCESSFULLY after one attempt, stamped now."""
    time_ = FakeTime()
    memory = MemoryConnector()
    [result] = push(pusher(memory, time_), (command("R1", 7), store()))
    assert PushResult("R1", "S1", "SKU-1", SyncStatus.SUCCESSFULLY, 7, 1, 1_000_000) == result
    assert {"SKU-1": 7} == memory.quantities


def test_an_unknown_store_fails_as_not_configured() -> None:
    """No store for the command: FAILED STORE_NOT_CONFIGURED, no attempt made."""
    [result] = push(pusher(MemoryConnector(), FakeTime()), (command(store_id="S9"), None))
    assert (SyncStatus.FAILED, FailureCode.STORE_NOT_CONFIGURED, 0,
            "store S9 is not configured") == (
        result.status, result.failure_code, result.attempts, result.failure_message)


def test_a_store_whose_connector_cannot_be_built_fails_as_not_configured() -> None:
    """A missing secret fails the push with the error naming the variable."""
    def connect(s: Store) -> Connector:
        raise MissingSecretError("store S1: environment variable SHOP_TOKEN is not set")

    [result] = push(Pusher(connect), (command(), store()))
    assert (FailureCode.STORE_NOT_CONFIGURED,
            "store S1: environment variable SHOP_TOKEN is not set") == (
        result.failure_code, result.failure_message)


def test_a_permanent_failure_is_not_retried() -> None:
    """A listing not found fails at once with the marketplace's reason."""
    memory = MemoryConnector()
    memory.fail_listing("SKU-1", FailureCode.LISTING_NOT_FOUND, "404 no such listing")
    [result] = push(pusher(memory, FakeTime()), (command(), store()))
    assert (SyncStatus.FAILED, FailureCode.LISTING_NOT_FOUND, "404 no such listing", 1) == (
        result.status, result.failure_code, result.failure_message, result.attempts)


def test_a_failing_listing_ends_failed_with_its_reason_after_the_retries() -> None:
    """A listing that keeps answering 5xx is tried max_attempts times, then FAILED."""
    time_ = FakeTime()
    memory = MemoryConnector()
    memory.fail_listing("SKU-1", FailureCode.MARKETPLACE_ERROR, "503 unavailable",
                        transient=True)
    [result] = push(pusher(memory, time_), (command(), store()))
    assert (SyncStatus.FAILED, FailureCode.MARKETPLACE_ERROR, 4,
            "503 unavailable (gave up after 4 attempts)") == (
        result.status, result.failure_code, result.attempts, result.failure_message)
    assert 4 == len(memory.requests)
    assert [0.1, 0.2, 0.4] == time_.sleeps  # exponential back-off between the attempts


def test_a_transient_failure_that_clears_ends_successfully() -> None:
    """One 5xx, then the marketplace answers: SUCCESSFULLY after two attempts."""
    memory = MemoryConnector()
    memory.fail_transiently(times=1)
    [result] = push(pusher(memory, FakeTime()), (command(), store()))
    assert (SyncStatus.SUCCESSFULLY, 2) == (result.status, result.attempts)


def test_back_off_honours_retry_after() -> None:
    """A 429 with Retry-After 2.5 s waits exactly that long before the next attempt."""
    time_ = FakeTime()
    memory = MemoryConnector()
    memory.rate_limit(times=2, retry_after=2.5)
    [result] = push(pusher(memory, time_), (command(), store()))
    assert (SyncStatus.SUCCESSFULLY, 3) == (result.status, result.attempts)
    assert [2.5, 2.5] == time_.sleeps


def test_still_rate_limited_after_every_retry_fails_as_rate_limited() -> None:
    """429 on every attempt: FAILED RATE_LIMITED."""
    memory = MemoryConnector()
    memory.rate_limit(times=10, retry_after=0.5)
    [result] = push(pusher(memory, FakeTime()), (command(), store()))
    assert (FailureCode.RATE_LIMITED, 4) == (result.failure_code, result.attempts)


def test_the_total_time_budget_stops_the_retries() -> None:
    """A Retry-After past the total budget ends the push now instead of sleeping past it."""
    time_ = FakeTime()
    memory = MemoryConnector()
    memory.rate_limit(times=1, retry_after=60.0)
    [result] = push(pusher(memory, time_), (command(), store()))
    assert (FailureCode.RATE_LIMITED, 1, []) == (result.failure_code, result.attempts,
                                                 time_.sleeps)
    assert "past the 30 s budget" in (result.failure_message or "")


def test_jitter_keeps_each_wait_between_half_and_all_of_the_back_off() -> None:
    """With jitter 0.5 the n-th wait lies in [d/2, d] for d = base * 2^(n-1)."""
    policy = RetryPolicy(base_delay=1.0, max_delay=100.0, jitter=0.5)
    rng = random.Random(1)
    waits = [policy.backoff(attempt, rng) for attempt in range(1, 6) for _ in range(50)]
    bounds = [(2 ** (attempt - 1) / 2, 2 ** (attempt - 1)) for attempt in range(1, 6)
              for _ in range(50)]
    assert all(low <= wait <= high for wait, (low, high) in zip(waits, bounds, strict=True))


def test_an_attempt_without_answer_times_out_and_is_retried() -> None:
    """A marketplace that does not answer within attempt_timeout: TIMEOUT, then retried."""
    memory = MemoryConnector()
    memory.time_out(times=1)
    [result] = push(pusher(memory, FakeTime()), (command(), store()))
    assert (SyncStatus.SUCCESSFULLY, 2) == (result.status, result.attempts)


def test_a_marketplace_that_never_answers_fails_as_timeout() -> None:
    """Every attempt times out: FAILED TIMEOUT after max_attempts."""
    memory = MemoryConnector()
    memory.time_out(times=10)
    [result] = push(pusher(memory, FakeTime()), (command(), store()))
    assert (FailureCode.TIMEOUT, 4) == (result.failure_code, result.attempts)


def test_the_last_pushed_qty_is_passed_for_compare_and_swap() -> None:
    """The second push of a listing carries the first one's qty as last_pushed_qty."""
    memory = MemoryConnector()
    push(pusher(memory, FakeTime()), (command("R1", 5), store()), (command("R2", 3), store()))
    assert [None, 5] == [request.last_pushed_qty for request in memory.requests]


def test_only_successful_pushes_are_remembered() -> None:
    """A failed push leaves the listing's last pushed qty as it was."""
    memory, last = MemoryConnector(), MemoryLastPushed()
    memory.fail_listing("SKU-1", FailureCode.VALIDATION, "too many", times=1)
    push(pusher(memory, FakeTime(), last=last),
         (command("R1", 5), store()), (command("R2", 3), store()))
    assert LastPush(3, "R2") == last.get("S1", "SKU-1")
    assert [None, None] == [request.last_pushed_qty for request in memory.requests]


def test_a_redelivered_command_is_not_pushed_again() -> None:
    """A record that is the listing's last successful push is reported done, without a call."""
    memory, last = MemoryConnector(), MemoryLastPushed()
    last.put("S1", "SKU-1", LastPush(7, "R1"))
    [result] = push(pusher(memory, FakeTime(), last=last), (command("R1", 7), store()))
    assert (SyncStatus.SUCCESSFULLY, 0, []) == (result.status, result.attempts, memory.requests)


def test_a_redelivered_command_writes_its_last_push_again() -> None:
    """The first write may have been lost with the worker that made it (the table's changelog
    had not received it): a redelivery writes it again, before the command is committed."""
    memory = MemoryConnector()
    writes: list[tuple[str, str, LastPush]] = []

    class Recording(MemoryLastPushed):
        def put(self, store_id: str, store_sku: str, push: LastPush) -> None:
            writes.append((store_id, store_sku, push))
            super().put(store_id, store_sku, push)

    last = Recording()
    last.put("S1", "SKU-1", LastPush(7, "R1"))
    push(pusher(memory, FakeTime(), last=last), (command("R1", 7), store()))
    assert [("S1", "SKU-1", LastPush(7, "R1"))] * 2 == writes


def test_a_connector_exception_fails_the_push_with_its_secrets_redacted() -> None:
    """A bug in a connector is FAILED UNKNOWN, and its credentials are scrubbed from the text."""
    from stocksync.connectors import Secret

    class Broken(Connector):
        def __init__(self) -> None:
            super().__init__([Secret("tok-123")])

        async def set_quantity(self, request: PushRequest) -> PushOutcome:
            raise RuntimeError("bad answer for https://x/?access_token=tok-123")

    [result] = push(pusher(Broken(), FakeTime()), (command(), store()))
    assert (FailureCode.UNKNOWN, "RuntimeError: bad answer for https://x/?access_token=***") == (
        result.failure_code, result.failure_message)


def test_each_store_keeps_to_its_own_request_rate() -> None:
    """Store S1 at 20/s and S2 at 40/s: each one's calls are spaced by its own rate, and S2
    does not wait for S1."""
    calls: dict[str, list[float]] = {"S1": [], "S2": []}
    start = time.monotonic()

    class Clocked(MemoryConnector):
        def __init__(self, store_id: str) -> None:
            super().__init__()
            self.store_id = store_id

        async def set_quantity(self, request: PushRequest) -> PushOutcome:
            calls[self.store_id].append(time.monotonic() - start)
            return await super().set_quantity(request)

    p = pusher({"S1": Clocked("S1"), "S2": Clocked("S2")})
    s1, s2 = store("S1", rate=20), store("S2", rate=40)

    async def scenario() -> list[PushResult]:
        async with p:
            return await asyncio.gather(
                *(p.push(command(f"A{i}", i, store_id="S1", store_sku=f"K{i}"), s1)
                  for i in range(4)),
                *(p.push(command(f"B{i}", i, store_id="S2", store_sku=f"K{i}"), s2)
                  for i in range(4)))

    results = run(scenario())
    assert {SyncStatus.SUCCESSFULLY} == {result.status for result in results}
    gaps = {name: [b - a for a, b in itertools.pairwise(times)] for name, times in calls.items()}
    assert all(gap >= 0.05 - 0.002 for gap in gaps["S1"]), gaps
    assert all(gap >= 0.025 - 0.002 for gap in gaps["S2"]), gaps
    assert calls["S2"][0] < 0.02 and calls["S2"][-1] < calls["S1"][-1], calls


def test_pushes_to_one_listing_apply_in_call_order() -> None:
    """Concurrent pushes to one listing run one at a time: the last call's qty wins."""
    class Slow(MemoryConnector):
        async def set_quantity(self, request: PushRequest) -> PushOutcome:
            await asyncio.sleep(0.01 if request.qty % 2 else 0)  # odd quantities answer later
            return await super().set_quantity(request)

    slow = Slow()
    p = pusher(slow)

    async def scenario() -> None:
        async with p:
            await asyncio.gather(*(p.push(command(f"R{i}", i), store()) for i in range(6)))

    run(scenario())
    assert ([0, 1, 2, 3, 4, 5], {"SKU-1": 5}) == (
        [request.qty for request in slow.requests], slow.quantities)


def test_one_slow_store_does_not_delay_another() -> None:
    """Store SLOW answers after 0.3 s and is limited to 4/s; store FAST's pushes are done
    long before SLOW's first answer."""
    done: dict[str, float] = {}

    class Delayed(MemoryConnector):
        def __init__(self, delay: float) -> None:
            super().__init__()
            self.delay = delay

        async def set_quantity(self, request: PushRequest) -> PushOutcome:
            await asyncio.sleep(self.delay)
            return await super().set_quantity(request)

    p = pusher({"SLOW": Delayed(0.3), "FAST": Delayed(0.0)},
               policy=RetryPolicy(attempt_timeout=5.0))
    slow, fast = store("SLOW", rate=4), store("FAST", rate=1000)

    async def timed(name: str, coroutine: Callable[[], object]) -> None:
        start = time.monotonic()
        await coroutine()  # type: ignore[misc]
        done[name] = time.monotonic() - start

    async def scenario() -> None:
        async with p:
            slow_pushes = [p.push(command(f"S{i}", i, store_id="SLOW", store_sku=f"K{i}"), slow)
                           for i in range(3)]
            fast_pushes = [p.push(command(f"F{i}", i, store_id="FAST", store_sku=f"K{i}"), fast)
                           for i in range(20)]
            await asyncio.gather(
                timed("slow", lambda: asyncio.gather(*slow_pushes)),
                timed("fast", lambda: asyncio.gather(*fast_pushes)))

    run(scenario())
    assert done["fast"] < 0.2, done
    assert done["slow"] >= 0.5 + 0.3 - 0.02, done  # 3 pushes at 4/s, then the last answer


@pytest.mark.parametrize("rate", [0.0, -1.0])
def test_a_store_without_a_positive_rate_is_not_configured(rate: float) -> None:
    """requests_per_second must be positive; otherwise the store's pushes fail, named."""
    [result] = push(pusher(MemoryConnector(), FakeTime()), (command(), store(rate=rate)))
    assert (FailureCode.STORE_NOT_CONFIGURED,
            f"store S1: requests_per_second must be positive, not {rate}") == (
        result.failure_code, result.failure_message)


def test_new_store_settings_get_a_new_connector_without_breaking_pushes_in_flight() -> None:
    """A push in flight keeps its connector when the store's settings change; the pusher
    closes both connectors when it closes."""
    release = asyncio.Event()

    class Slow(MemoryConnector):
        closed = False

        async def set_quantity(self, request: PushRequest) -> PushOutcome:
            await release.wait()
            return await super().set_quantity(request)

        async def aclose(self) -> None:
            self.closed = True

    made: list[Slow] = []

    def connect(s: Store) -> Connector:
        made.append(Slow())
        return made[-1]

    async def scenario() -> list[PushResult]:
        async with Pusher(connect, policy=RetryPolicy(attempt_timeout=5.0)) as p:
            first = asyncio.create_task(p.push(command("R1", 1, store_sku="A"), store(rate=100)))
            await asyncio.sleep(0.01)
            second = asyncio.create_task(p.push(command("R2", 2, store_sku="B"), store(rate=50)))
            await asyncio.sleep(0.01)
            release.set()
            return [await first, await second]

    results = run(scenario())
    assert [SyncStatus.SUCCESSFULLY] * 2 == [r.status for r in results]
    assert [({"A": 1}, True), ({"B": 2}, True)] == [(c.quantities, c.closed) for c in made]
