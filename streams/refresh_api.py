"""`POST /refresh`: operators push current quantities again.

Body `{"merchant_skus": [...], "store_ids": [...]}` (either may be omitted, not both empty):
- merchant SKUs only: one REFRESH_INVENTORY event per SKU (every listing of it);
- merchant SKUs and stores: one PUSH_NOW event per SKU for those stores;
- stores only: a refresh request in every stock-events partition (every SKU, those stores).
The events go through the log like any other, so the pushes they cause are recorded and replayed.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import faust
from faust.web import Request, Response, View

from stocksync.domain.events import InventoryRefreshRequested, PushNowRequested, StockEvent
from stocksync.schemas.codec import default_codec
from stocksync.streams.auth import Guard, Role
from stocksync.streams.control import broadcast, refresh_request

MAX_SKUS = 10_000


def refresh_events(merchant_skus: list[str], store_ids: list[str], now_ms: int,
                   batch: str) -> list[StockEvent]:
    """The events a refresh of `merchant_skus` (for `store_ids`, empty: all) publishes."""
    envelope = {"warehouse_id": "", "occurred_at": now_ms, "source": "operator"}
    if store_ids:
        return [PushNowRequested(event_id=f"push-now-{batch}-{n}", merchant_sku=sku,
                                 store_ids=tuple(store_ids), **envelope)
                for n, sku in enumerate(merchant_skus)]
    return [InventoryRefreshRequested(event_id=f"refresh-{batch}-{n}", merchant_sku=sku,
                                      **envelope) for n, sku in enumerate(merchant_skus)]


def register_refresh_api(app: faust.App, stock_events: Any, partitions: int,
                         guard: Guard) -> None:
    codec = default_codec()

    @app.page("/refresh")
    class RefreshView(View):
        @guard.requires(Role.OPERATOR)
        async def post(self, request: Request) -> Response:
            try:
                skus, stores = _parse(await request.read())
            except ValueError as exc:
                return self.json({"error": str(exc)}, status=400)
            batch = uuid.uuid4().hex[:12]
            if not skus:
                message = refresh_request(tuple(stores))
                await broadcast(stock_events, partitions, message)
                return self.json({"queued": "refresh of every SKU",
                                  "control_id": message.control_id, "store_ids": stores})
            events = refresh_events(skus, stores, int(time.time() * 1000), batch)
            futures = [await stock_events.send(key=e.merchant_sku.encode(),
                                               value=codec.encode(e)) for e in events]
            for future in futures:
                await future
            return self.json({"queued": len(events), "reason": events[0].reason.value,
                              "event_ids": [e.event_id for e in events], "store_ids": stores})


def _parse(raw: bytes) -> tuple[list[str], list[str]]:
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    unknown = sorted(set(body) - {"merchant_skus", "store_ids"})
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(unknown)}")
    lists = []
    for name in ("merchant_skus", "store_ids"):
        value = body.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"{name} must be a list of non-empty strings")
        lists.append(list(dict.fromkeys(value)))
    skus, stores = lists
    if not skus and not stores:
        raise ValueError("name merchant_skus, store_ids or both")
    if len(skus) > MAX_SKUS:
        raise ValueError(f"at most {MAX_SKUS} merchant_skus per request")
    return skus, stores
