"""The connector worker's core: push one command to its store's marketplace and report the result.

Transport-agnostic: the Kafka side hands in `PushCommand`s (possibly many at once) and publishes
the `PushResult`s. Per store, a token bucket keeps our request rate within
`ConnectorSettings.requests_per_second`; stores do not wait for each other. Pushes to one listing
run one at a time in call order, so a later quantity is never overwritten by an earlier one.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from stocksync.connectors.base import Connector, OutcomeKind, PushOutcome, PushRequest
from stocksync.connectors.last_pushed import LastPush, LastPushed, MemoryLastPushed
from stocksync.connectors.rate_limit import TokenBucket
from stocksync.connectors.secrets import ConnectorConfigError
from stocksync.domain.sync import (
    ConnectorSettings,
    FailureCode,
    PushCommand,
    PushResult,
    Store,
    SyncStatus,
)
from stocksync.logs import get_logger

log = get_logger(__name__)

ConnectorFactory = Callable[[Store], Connector]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one push tries. Transient failures are retried with exponential back-off
    (`base_delay` doubling up to `max_delay`, a `jitter` fraction of it random) or after the
    marketplace's Retry-After, until `max_attempts` or until the next wait would end more than
    `max_total` seconds after the first attempt."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 120.0
    jitter: float = 0.5
    attempt_timeout: float = 15.0  # one request; no answer by then is a TIMEOUT
    burst: float = 1.0  # requests a store may send at once before its rate applies

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The wait after failed attempt number `attempt` (1-based)."""
        delay = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return delay * (1 - self.jitter) + rng.uniform(0, delay * self.jitter)


class Pusher:
    def __init__(self, connect: ConnectorFactory, last_pushed: LastPushed | None = None,
                 policy: RetryPolicy | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 rng: random.Random | None = None) -> None:
        self._connect = connect
        self.last_pushed = last_pushed if last_pushed is not None else MemoryLastPushed()
        self.policy = policy or RetryPolicy()
        self._clock = clock
        self._wall_clock_ms = wall_clock_ms
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._connectors: dict[str, tuple[ConnectorSettings, Connector]] = {}
        self._retired: list[Connector] = []  # replaced by new settings; pushes may still use them
        self._buckets: dict[str, TokenBucket] = {}
        self._listing_locks = _KeyedLocks()
        self._closed = False

    async def push(self, command: PushCommand, store: Store | None) -> PushResult:
        if self._closed:
            raise RuntimeError("the pusher is closed")
        record = command.record
        if store is None or store.store_id != record.store_id:
            return self._failed(command, 0, FailureCode.STORE_NOT_CONFIGURED,
                                f"store {record.store_id} is not configured")
        async with self._listing_locks.hold((record.store_id, record.store_sku)):
            return await self._push_listing(command, store)

    async def _push_listing(self, command: PushCommand, store: Store) -> PushResult:
        record = command.record
        last = self.last_pushed.get(record.store_id, record.store_sku)
        if last is not None and last.record_id == record.record_id:
            # A redelivered command: it was pushed already, and sending it again with a newer
            # compare-and-swap value would reuse its idempotency key with different parameters.
            # Remembered again all the same: the command is redelivered because the worker
            # stopped before committing it, so the first write may not have reached the table's
            # changelog (a table's local store can hold a write its changelog lost, until a
            # restore replays the changelog over it: then the listing's last push goes back,
            # and every later compare and swap fails).
            self.last_pushed.put(record.store_id, record.store_sku, last)
            return self._result(command, SyncStatus.SUCCESSFULLY, 0)
        try:
            connector = self._connector(store)
            bucket = self._bucket(store)
        except Exception as exc:  # noqa: BLE001 - any bad setting fails this store's pushes only
            return self._failed(command, 0, FailureCode.STORE_NOT_CONFIGURED, str(exc))
        request = PushRequest(record.record_id, record.store_sku, record.after_qty,
                              None if last is None else last.qty, record)
        return await self._push_with_retries(command, request, connector, bucket)

    async def _push_with_retries(self, command: PushCommand, request: PushRequest,
                                 connector: Connector, bucket: TokenBucket) -> PushResult:
        record = command.record
        deadline: float | None = None
        attempts = 0
        while True:
            await bucket.acquire()
            if deadline is None:
                deadline = self._clock() + self.policy.max_total
            attempts += 1
            outcome = await self._attempt(connector, request)
            if outcome.kind is OutcomeKind.OK:
                self.last_pushed.put(record.store_id, record.store_sku,
                                     LastPush(record.after_qty, record.record_id))
                log.debug("push_succeeded", record_id=record.record_id, store_id=record.store_id,
                          store_sku=record.store_sku, qty=record.after_qty, attempts=attempts)
                return self._result(command, SyncStatus.SUCCESSFULLY, attempts)
            code = outcome.failure_code or FailureCode.UNKNOWN
            message = connector.redact(outcome.message or code.value)
            if outcome.kind is OutcomeKind.FAILED:
                return self._failed(command, attempts, code, message)
            delay, give_up = self._next_delay(outcome, attempts, deadline)
            if give_up is not None:
                return self._failed(command, attempts, code, f"{message} ({give_up})")
            if outcome.retry_after is not None:
                bucket.pause(outcome.retry_after)  # the whole store waits, not just this push
            log.info("push_retry", record_id=record.record_id, store_id=record.store_id,
                     store_sku=record.store_sku, attempt=attempts, failure_code=code.value,
                     failure_message=message, delay_s=round(delay, 3))
            await self._sleep(delay)

    def _next_delay(self, outcome: PushOutcome, attempts: int,
                    deadline: float) -> tuple[float, str | None]:
        """The wait before the next attempt, or why there is none."""
        if attempts >= self.policy.max_attempts:
            return 0.0, f"gave up after {_attempts(attempts)}"
        delay = (outcome.retry_after if outcome.retry_after is not None
                 else self.policy.backoff(attempts, self._rng))
        if self._clock() + delay > deadline:
            return delay, (f"gave up after {_attempts(attempts)}: the next try, in "
                           f"{delay:.3g} s, is past the {self.policy.max_total:g} s budget")
        return delay, None

    async def _attempt(self, connector: Connector, request: PushRequest) -> PushOutcome:
        timeout = self.policy.attempt_timeout
        try:
            async with asyncio.timeout(timeout):
                return await connector.set_quantity(request)
        except TimeoutError:
            return PushOutcome.transient(FailureCode.TIMEOUT, f"no answer within {timeout:g} s")
        except Exception as exc:  # noqa: BLE001 - a connector bug fails the push, not the worker
            return PushOutcome.failed(FailureCode.UNKNOWN,
                                      f"{type(exc).__name__}: {connector.redact(str(exc))}")

    def _connector(self, store: Store) -> Connector:
        cached = self._connectors.get(store.store_id)
        if cached is not None and cached[0] == store.connector:
            return cached[1]
        connector = self._connect(store)
        self._connectors[store.store_id] = (store.connector, connector)
        if cached is not None:  # the store's settings changed; closed with the pusher
            self._retired.append(cached[1])
        return connector

    def _bucket(self, store: Store) -> TokenBucket:
        rate = store.connector.requests_per_second
        if not rate > 0:
            raise ConnectorConfigError(
                f"store {store.store_id}: requests_per_second must be positive, not {rate}")
        bucket = self._buckets.get(store.store_id)
        if bucket is None:
            bucket = TokenBucket(rate, self.policy.burst, clock=self._clock, sleep=self._sleep)
            self._buckets[store.store_id] = bucket
        elif bucket.rate != rate:
            bucket.set_rate(rate)
        return bucket

    def _failed(self, command: PushCommand, attempts: int, code: FailureCode,
                message: str) -> PushResult:
        record = command.record
        log.warning("push_failed", record_id=record.record_id, store_id=record.store_id,
                    store_sku=record.store_sku, attempts=attempts, failure_code=code.value,
                    failure_message=message)
        return self._result(command, SyncStatus.FAILED, attempts, code, message)

    def _result(self, command: PushCommand, status: SyncStatus, attempts: int,
                code: FailureCode | None = None, message: str | None = None) -> PushResult:
        record = command.record
        return PushResult(record_id=record.record_id, store_id=record.store_id,
                          store_sku=record.store_sku, status=status, pushed_qty=record.after_qty,
                          attempts=attempts, completed_at=self._wall_clock_ms(),
                          failure_code=code, failure_message=message)

    async def aclose(self) -> None:
        self._closed = True
        connectors = [connector for _, connector in self._connectors.values()] + self._retired
        self._connectors.clear()
        self._retired.clear()
        for connector in connectors:
            await connector.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()


def _attempts(count: int) -> str:
    return f"{count} attempt{'' if count == 1 else 's'}"


class _KeyedLocks:
    """One FIFO lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[key]
