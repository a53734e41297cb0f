"""The simulated marketplace over HTTP and its client, the SimulatedConnector, with the Pusher."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from stocksync.connectors import MemoryLastPushed, Pusher, RetryPolicy
from stocksync.connectors.registry import connector_factory
from stocksync.connectors.simulated_marketplace import (
    STATE,
    MarketplaceState,
    RunningServer,
    create_marketplace_app,
    run_marketplace,
    serve,
)
from stocksync.domain.sync import FailureCode, PushResult, Store, SyncStatus

from .helpers import FakeTime, command, run, store

QUICK = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, jitter=0.0,
                    attempt_timeout=1.0)
Scenario = Callable[[RunningServer, MarketplaceState, aiohttp.ClientSession], Awaitable[Any]]


def with_marketplace(scenario: Scenario, **options: Any) -> Any:
    """Run `scenario` against a fresh marketplace on 127.0.0.1 (a port from the OS)."""
    options.setdefault("latency", 0.001)
    options.setdefault("rate_limit", None)

    async def main() -> Any:
        app = create_marketplace_app(**options)
        async with serve(app) as server, aiohttp.ClientSession(server.url) as http:
            return await scenario(server, app[STATE], http)
    return run(main())


def simulated(server: RunningServer, store_id: str = "S1", rate: float = 1000.0,
              **options: str) -> Store:
    return store(store_id, "simulated", rate=rate, base_url=server.url, **options)


def pusher(policy: RetryPolicy = QUICK, secrets: dict[str, str] | None = None,
           **kwargs: Any) -> Pusher:
    return Pusher(connector_factory(secrets or {}), MemoryLastPushed(), policy, **kwargs)


def test_a_push_sets_the_listing_quantity() -> None:
    """SUCCESSFULLY, and the marketplace's listing shows the pushed quantity."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> tuple[PushResult, Any]:
        async with pusher() as p:
            result = await p.push(command("R1", 12), simulated(server))
        async with http.get("/stores/S1/listings/SKU-1") as response:
            return result, await response.json()

    result, listing = with_marketplace(scenario)
    assert (SyncStatus.SUCCESSFULLY, 1) == (result.status, result.attempts)
    assert {"store_id": "S1", "store_sku": "SKU-1", "quantity": 12} == listing


def test_the_same_record_pushed_twice_is_applied_once() -> None:
    """Two workers push record R1 (a redelivery): the marketplace applies its key once."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> tuple[list[SyncStatus], Any]:
        statuses = []
        for _ in range(2):  # two pushers: nothing remembered between them
            async with pusher() as p:
                statuses.append((await p.push(command("R1", 4), simulated(server))).status)
        async with http.get("/admin/applied") as response:
            return statuses, await response.json()

    statuses, applied = with_marketplace(scenario)
    assert [SyncStatus.SUCCESSFULLY, SyncStatus.SUCCESSFULLY] == statuses
    assert {"applied": {"R1": 1}} == applied


def test_a_repeated_key_replays_the_answer_and_another_body_is_refused() -> None:
    """Same Idempotency-Key and body: the first answer again; with another body: 422."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> list[tuple[int, Any]]:
        answers = []
        for quantity in (5, 5, 6):
            async with http.put("/stores/S1/listings/SKU-1/quantity",
                                json={"quantity": quantity},
                                headers={"Idempotency-Key": "K1"}) as response:
                answers.append((response.status, await response.json()))
        return answers

    first, again, other = with_marketplace(scenario)
    assert (200, {"store_id": "S1", "store_sku": "SKU-1", "quantity": 5,
                  "previous_quantity": None}) == first
    assert first == again
    assert (422, "idempotency_key_reused") == (other[0], other[1]["error"]["code"])


def test_a_failing_listing_ends_failed_with_its_reason_after_the_retries() -> None:
    """A listing answering 500 is tried max_attempts times; the marketplace saw every try."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> tuple[PushResult, int]:
        await http.post("/admin/fail", json={"store_id": "S1", "store_sku": "SKU-1",
                                             "status": 500, "message": "database down"})
        async with pusher() as p:
            result = await p.push(command(), simulated(server))
        return result, len(state.requests)

    result, requests = with_marketplace(scenario)
    assert (SyncStatus.FAILED, FailureCode.MARKETPLACE_ERROR, 3,
            "500 internal_error: database down (gave up after 3 attempts)") == (
        result.status, result.failure_code, result.attempts, result.failure_message)
    assert 3 == requests


def test_marketplace_errors_map_to_failure_codes() -> None:
    """404, 401, 400 and 409 end FAILED with their codes after a single attempt."""
    cases = {"A": 404, "B": 401, "C": 400, "D": 409}

    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> dict[str, tuple[FailureCode | None, int]]:
        for sku, status in cases.items():
            await http.post("/admin/fail",
                            json={"store_id": "S1", "store_sku": sku, "status": status})
        async with pusher() as p:
            results = [await p.push(command(f"R{sku}", store_sku=sku), simulated(server))
                       for sku in cases]
        return {r.store_sku: (r.failure_code, r.attempts) for r in results}

    assert {"A": (FailureCode.LISTING_NOT_FOUND, 1), "B": (FailureCode.AUTH_EXPIRED, 1),
            "C": (FailureCode.VALIDATION, 1), "D": (FailureCode.CONFLICT, 1)} == (
        with_marketplace(scenario))


def test_a_store_with_a_token_refuses_pushes_without_it() -> None:
    """A wrong bearer token is AUTH_EXPIRED; the right one (from the environment) works."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> list[FailureCode | None]:
        s1 = store("S1", "simulated", rate=1000, secret_ref="S1_TOKEN", base_url=server.url)
        codes = []
        for token in ("stale", "t-s1"):
            async with pusher(secrets={"S1_TOKEN": token}) as p:
                codes.append((await p.push(command(f"R-{token}"), s1)).failure_code)
        return codes

    assert [FailureCode.AUTH_EXPIRED, None] == with_marketplace(scenario, tokens={"S1": "t-s1"})


def test_a_stale_compare_and_swap_is_a_conflict() -> None:
    """After a sale on the marketplace changed the listing, our next push is a CONFLICT."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> list[PushResult]:
        async with pusher() as p:
            first = await p.push(command("R1", 5), simulated(server))
            await http.put("/admin/listings", json={"store_id": "S1", "listings": {"SKU-1": 4}})
            second = await p.push(command("R2", 8), simulated(server))
        return [first, second]

    first, second = with_marketplace(scenario)
    assert (SyncStatus.SUCCESSFULLY, FailureCode.CONFLICT,
            "409 conflict: listing SKU-1 shows 4, not 5") == (
        first.status, second.failure_code, second.failure_message)


def max_in_window(times: list[float], window: float) -> int:
    return max((sum(1 for t in times if start <= t < start + window) for start in times),
               default=0)


def test_a_rate_limited_store_ends_successfully_without_exceeding_the_limit() -> None:
    """The marketplace allows 20 requests/s (burst 2) and our store is set to 20/s: 12
    concurrent pushes all succeed, and no 0.25 s window holds more than 20 * 0.25 + 2."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> tuple[set[SyncStatus], list[float]]:
        s1 = simulated(server, rate=20)
        async with pusher() as p:
            results = await asyncio.gather(*(
                p.push(command(f"R{i}", i, store_sku=f"K{i}"), s1) for i in range(12)))
        return {r.status for r in results}, state.request_times("S1")

    statuses, times = with_marketplace(scenario, rate_limit=20, burst=2,
                                       fractional_retry_after=True)
    assert {SyncStatus.SUCCESSFULLY} == statuses
    assert 12 == len(times)
    assert max_in_window(times, 0.25) <= 20 * 0.25 + 2


def test_a_store_limited_below_our_rate_succeeds_by_honouring_429() -> None:
    """The marketplace allows 10/s but the store is set to 50/s: 429s with Retry-After slow us
    down, every push succeeds, and the accepted requests stay within 10/s (burst 1)."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> tuple[set[SyncStatus], list[float], int]:
        s1 = simulated(server, rate=50)
        policy = RetryPolicy(max_attempts=20, base_delay=0.01, attempt_timeout=1.0)
        async with pusher(policy) as p:
            results = await asyncio.gather(*(
                p.push(command(f"R{i}", i, store_sku=f"K{i}"), s1) for i in range(6)))
        refused = sum(1 for e in state.requests if e.status == 429)
        return {r.status for r in results}, state.request_times("S1"), refused

    statuses, accepted, refused = with_marketplace(scenario, rate_limit=10, burst=1,
                                                   fractional_retry_after=True)
    assert {SyncStatus.SUCCESSFULLY} == statuses
    assert refused > 0
    assert max_in_window(accepted, 0.5) <= 10 * 0.5 + 1


def test_the_pusher_waits_as_long_as_the_retry_after_header_says() -> None:
    """A 429 with Retry-After: 3 (whole seconds, as sent by default) is waited out."""
    time_ = FakeTime()

    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> PushResult:
        await http.post("/admin/fail", json={"store_id": "S1", "store_sku": "SKU-1",
                                             "status": 429, "retry_after": 3, "times": 1})
        async with pusher(clock=time_.clock, sleep=time_.sleep) as p:
            return await p.push(command(), simulated(server))

    result = with_marketplace(scenario)
    assert (SyncStatus.SUCCESSFULLY, 2, [3.0]) == (result.status, result.attempts, time_.sleeps)


def test_a_paused_marketplace_times_out_and_answers_again_after_resume() -> None:
    """While paused the push times out (TIMEOUT); after resume a push succeeds."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> list[PushResult]:
        policy = RetryPolicy(max_attempts=2, base_delay=0.01, jitter=0.0, attempt_timeout=0.1)
        async with pusher(policy) as p:
            await http.post("/admin/pause")
            paused = await p.push(command("R1"), simulated(server))
            await http.post("/admin/resume")
            resumed = await p.push(command("R2"), simulated(server))
        return [paused, resumed]

    paused, resumed = with_marketplace(scenario)
    assert (FailureCode.TIMEOUT, 2, SyncStatus.SUCCESSFULLY) == (
        paused.failure_code, paused.attempts, resumed.status)


def test_a_push_that_timed_out_but_was_applied_is_not_applied_twice() -> None:
    """The first attempt times out while the marketplace still holds it; it applies later, and
    the retry with the same key gets the replayed answer: applied once."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> tuple[PushResult, Any, list[int]]:
        policy = RetryPolicy(max_attempts=3, base_delay=0.3, jitter=0.0, attempt_timeout=0.1)
        async with pusher(policy) as p:
            await http.post("/admin/pause")
            push = asyncio.create_task(p.push(command("R1", 6), simulated(server)))
            await asyncio.sleep(0.2)  # the attempt timed out; the marketplace still holds it
            await http.post("/admin/resume")  # ... and now applies it
            result = await push
        async with http.get("/admin/applied") as response:
            return result, await response.json(), [e.status for e in state.requests]

    result, applied, answered = with_marketplace(scenario)
    assert (SyncStatus.SUCCESSFULLY, 2, {"applied": {"R1": 1}}) == (
        result.status, result.attempts, applied)
    assert [200, 200] == answered  # the held request and the replay to the retry


def test_reset_forgets_listings_keys_and_requests() -> None:
    """POST /admin/reset empties the marketplace."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> list[Any]:
        async with pusher() as p:
            await p.push(command(), simulated(server))
        await http.post("/admin/reset")
        answers = []
        for path in ("/stores/S1/listings", "/admin/applied", "/admin/requests"):
            async with http.get(path) as response:
                answers.append(await response.json())
        return answers

    assert [{"store_id": "S1", "listings": {}}, {"applied": {}}, {"requests": []}] == (
        with_marketplace(scenario))


def test_unknown_listings_are_not_found_without_auto_create() -> None:
    """auto_create_listings=False: only seeded listings exist."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> list[FailureCode | None]:
        await http.put("/admin/listings", json={"store_id": "S1", "listings": {"K1": 1}})
        async with pusher() as p:
            return [(await p.push(command(f"R{sku}", store_sku=sku), simulated(server)))
                    .failure_code for sku in ("K1", "K2")]

    assert [None, FailureCode.LISTING_NOT_FOUND] == with_marketplace(
        scenario, auto_create_listings=False)


def test_run_marketplace_serves_on_loopback_until_cancelled() -> None:
    """run_marketplace listens on 127.0.0.1, reports its URL, and stops when cancelled."""
    async def main() -> tuple[str, int]:
        ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(run_marketplace("127.0.0.1", 0, ready=ready.set_result,
                                                   latency=0))
        url = await ready
        async with aiohttp.ClientSession() as http, http.get(f"{url}/admin/applied") as answer:
            status = answer.status
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return url, status

    url, status = run(main())
    assert url.startswith("http://127.0.0.1:") and 200 == status


def test_a_hung_store_times_out_alone_and_drops_the_pushes_its_clients_gave_up() -> None:
    """POST /admin/pause {store_id}: that store's pushes hang (TIMEOUT) while another store's
    succeed; after resume the abandoned attempts are dropped unapplied (499 in the log) and a
    new push succeeds."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> list[Any]:
        policy = RetryPolicy(max_attempts=2, base_delay=0.01, jitter=0.0, attempt_timeout=0.2)
        async with pusher(policy) as p:
            await http.post("/admin/pause", json={"store_id": "S1"})
            hung = asyncio.create_task(p.push(command("R1", 3), simulated(server)))
            other = await p.push(command("R2", 4, store_id="S2"), simulated(server, "S2"))
            hung_result = await hung
            await http.post("/admin/resume", json={"store_id": "S1"})
            await asyncio.sleep(0.1)  # the held attempts go on, find their clients gone
            again = await p.push(command("R3", 5), simulated(server))
        async with http.get("/admin/applied") as response:
            applied = (await response.json())["applied"]
        return [hung_result.failure_code, other.status, again.status, applied,
                [e.status for e in state.requests if e.store_id == "S1"],
                state.stores["S1"].listings]

    assert [FailureCode.TIMEOUT, SyncStatus.SUCCESSFULLY, SyncStatus.SUCCESSFULLY,
            {"R2": 1, "R3": 1}, [499, 499, 200], {"SKU-1": 5}] == with_marketplace(scenario)


def test_a_slow_store_answers_after_its_delay_and_drops_what_timed_out() -> None:
    """POST /admin/slow {store_id, delay_s}: pushes are answered after the delay; one whose
    attempt timed out first is not applied; delay_s 0 answers at once again; bad bodies 400."""
    async def scenario(server: RunningServer, state: MarketplaceState,
                       http: aiohttp.ClientSession) -> list[Any]:
        quick = RetryPolicy(max_attempts=1, attempt_timeout=0.1)
        patient = RetryPolicy(max_attempts=1, attempt_timeout=2.0)
        statuses = []
        for body in ({"store_id": "S1"}, {"store_id": "S1", "delay_s": -1},
                     {"store_id": 5, "delay_s": 1}, {"store_id": "S1", "delay_s": True}):
            async with http.post("/admin/slow", json=body) as response:
                statuses.append(response.status)
        await http.post("/admin/slow", json={"store_id": "S1", "delay_s": 0.3})
        async with pusher(quick) as p:
            timed_out = await p.push(command("R1", 1), simulated(server))
        async with pusher(patient) as p:
            started = asyncio.get_running_loop().time()
            slow = await p.push(command("R2", 2), simulated(server))
            took = asyncio.get_running_loop().time() - started
        # (R1's held attempt ended while R2 waited, its client long gone.)
        await http.post("/admin/slow", json={"store_id": "S1", "delay_s": 0})
        async with pusher(quick) as p:
            fast = await p.push(command("R3", 3), simulated(server))
        return [statuses, timed_out.failure_code, slow.status, took >= 0.3, fast.status,
                dict(state.applied), [e.status for e in state.requests]]

    assert [[400] * 4, FailureCode.TIMEOUT, SyncStatus.SUCCESSFULLY, True,
            SyncStatus.SUCCESSFULLY, {"R2": 1, "R3": 1}, [499, 200, 200]] == (
        with_marketplace(scenario))
