"""A token bucket per store: our own request rate limit, and the marketplace's pauses (429)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

_EPSILON = 1e-9


class TokenBucket:
    """`rate` requests per second on average, at most `burst` at once. Waiters are served in
    arrival order; `pause` holds every waiter until the marketplace's Retry-After has passed."""

    def __init__(self, rate: float, burst: float, *, clock: Clock, sleep: Sleep) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._clock = clock
        self._sleep = sleep
        self.rate = rate
        self.capacity = max(1.0, burst)
        self._tokens = self.capacity
        self._updated = clock()
        self._paused_until = float("-inf")
        self._lock = asyncio.Lock()  # FIFO: the first caller to wait is the first served

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self._clock()
                self._refill(now)
                wait = self._paused_until - now
                if wait <= 0:
                    if self._tokens >= 1 - _EPSILON:  # float sums land a hair under 1
                        self._tokens = max(0.0, self._tokens - 1)
                        return
                    wait = (1 - self._tokens) / self.rate
                await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """No request leaves before `seconds` from now; then one may, and the rest at `rate`."""
        now = self._clock()
        self._refill(now)
        self._paused_until = max(self._paused_until, now + seconds)
        self._tokens = 1.0

    def set_rate(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._refill(self._clock())
        self.rate = rate

    def _refill(self, now: float) -> None:
        start = max(self._updated, self._paused_until)
        if now > start:
            self._tokens = min(self.capacity, self._tokens + (now - start) * self.rate)
        self._updated = max(self._updated, now)
