"""The last quantity successfully pushed to each listing, per (store_id, store_sku).

The Pusher reads it to fill `last_pushed_qty` (compare and swap) and to recognise a record it has
already pushed (a redelivered command). The Kafka side rebuilds it from the push-results topic by
calling `apply(result)` for every result, in log order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from stocksync.domain.sync import PushResult, SyncStatus


@dataclass(frozen=True, slots=True)
class LastPush:
    qty: int
    record_id: str  # the record that set it


class LastPushed(ABC):
    @abstractmethod
    def get(self, store_id: str, store_sku: str) -> LastPush | None:
        """The last successful push to the listing, or None if there was none."""

    @abstractmethod
    def put(self, store_id: str, store_sku: str, push: LastPush) -> None:
        """Remember a successful push to the listing."""

    def apply(self, result: PushResult) -> None:
        """Fold one push result: only a success changes what the listing shows."""
        if result.status is SyncStatus.SUCCESSFULLY:
            self.put(result.store_id, result.store_sku,
                     LastPush(result.pushed_qty, result.record_id))


class MemoryLastPushed(LastPushed):
    def __init__(self) -> None:
        self._pushes: dict[tuple[str, str], LastPush] = {}

    def get(self, store_id: str, store_sku: str) -> LastPush | None:
        return self._pushes.get((store_id, store_sku))

    def put(self, store_id: str, store_sku: str, push: LastPush) -> None:
        self._pushes[(store_id, store_sku)] = push
