"""Builders, a fake clock and an asyncio runner for the connector tests (no pytest-asyncio)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from stocksync.domain.events import Reason
from stocksync.domain.sync import (
    Cause,
    ConnectorSettings,
    PushCommand,
    Store,
    SyncRecord,
)

T = TypeVar("T")

TEST_TIMEOUT_S = 10.0


def run(coroutine: Coroutine[Any, Any, T], timeout: float = TEST_TIMEOUT_S) -> T:
    """Run one scenario on a fresh event loop, bounded in time."""
    async def bounded() -> T:
        async with asyncio.timeout(timeout):
            return await coroutine
    return asyncio.run(bounded())


def store(store_id: str = "S1", kind: str = "memory", *, rate: float = 1000.0,
          secret_ref: str | None = None, **options: str) -> Store:
    return Store(store_id, f"{store_id} nickname", "shopee",
                 ConnectorSettings(kind, tuple(sorted(options.items())), secret_ref, rate))


def record(record_id: str = "R1", qty: int = 7, *, store_id: str = "S1",
           store_sku: str = "SKU-1") -> SyncRecord:
    return SyncRecord(
        record_id=record_id, sync_time=1_700_000_000_000, log_time=1_700_000_000_005,
        marketplace="shopee", store_id=store_id, store_nickname=f"{store_id} nickname",
        store_sku=store_sku, merchant_sku="APPLE", warehouse_id="W1", before_qty=qty + 1,
        movement=-1, after_qty=qty, rule_name="all", reason=Reason.SYNC_ORDER,
        cause=Cause("E1", "stock-events", 0, 41))


def command(record_id: str = "R1", qty: int = 7, *, store_id: str = "S1",
            store_sku: str = "SKU-1") -> PushCommand:
    return PushCommand(record(record_id, qty, store_id=store_id, store_sku=store_sku))


class FakeTime:
    """A clock that only moves when someone sleeps on it; records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def wall_clock_ms(self) -> int:
        return int(self.now * 1000)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)
