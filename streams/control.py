"""Control messages: written into every stock-events partition so that each partition applies a
configuration change or a refresh at one position of its own log (deterministic on replay)."""

from __future__ import annotations

import uuid
from typing import Any

from stocksync.schemas.push_codec import ControlMessage, RefreshRequested, encode_control


async def broadcast(stock_events: Any, partitions: int, message: ControlMessage) -> None:
    """Send `message` to every partition and wait until each is acknowledged."""
    data = encode_control(message)
    futures = [await stock_events.send(key=None, value=data, partition=partition)
               for partition in range(partitions)]
    for future in futures:
        await future


def refresh_request(store_ids: tuple[str, ...] = ()) -> RefreshRequested:
    return RefreshRequested(control_id=f"refresh-{uuid.uuid4()}", store_ids=store_ids)
