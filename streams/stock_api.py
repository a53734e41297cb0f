"""HTTP views for stock, served by every worker; a request for a SKU another worker owns is
forwarded to it by faust's table routing (keys are UTF-8 SKU bytes everywhere, so every worker
computes the same partition for a SKU as the producers did). A request `as_of` an instant is
answered by the worker that takes it, from the log (stocksync.stock_as_of)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from faust.web import Request, Response, View

from stocksync.domain.stock import stock_view
from stocksync.projections.query_errors import QueryError
from stocksync.settings import Settings
from stocksync.stock_as_of import AS_OF, parse_as_of, stock_as_of
from stocksync.streams.auth import Guard, Role
from stocksync.streams.http_errors import answers_errors, query_params
from stocksync.streams.state_codec import decode_stored


def register_stock_api(app: faust.App, stock_table: Any, fold: Any, source_topic: str,
                       guard: Guard, settings: Settings) -> None:
    @app.table_route(table=stock_table, match_info="sku")
    async def live_stock(view: View, request: Request, sku: str) -> Response:
        # Outside a stream, faust looks the key up in every local partition.
        raw = stock_table.get(sku.encode())
        if raw is None:
            return _unknown(view, sku)
        return view.json(stock_view(decode_stored(raw).stock))

    @app.page("/stock/{sku}")
    class StockView(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request: Request, sku: str) -> Response:
            params = query_params(request)
            for name in params.keys() - {AS_OF}:
                raise QueryError(name, f"unknown parameter; the only one is {AS_OF}")
            if AS_OF not in params:
                return await live_stock(self, request, sku=sku)
            instant = parse_as_of(params[AS_OF], settings)
            # A blocking read of the SKU's partition: on a thread, never on the event loop.
            view = await asyncio.to_thread(stock_as_of, settings, sku, instant)
            return self.json(view) if view is not None else _unknown(self, sku)

    @app.page("/stats")
    class StatsView(View):
        @guard.requires(Role.VIEWER)
        async def get(self, request: Request) -> Response:
            return self.json({
                "worker": str(app.conf.canonical_url),
                "ready": _ready(app),
                "assigned_partitions": sorted(
                    tp.partition for tp in app.consumer.assignment()
                    if tp.topic == source_topic
                ) if _ready(app) else [],
                "config_versions": fold.config_versions(),
                "open_windows": fold.open_windows(),
                **fold.counters.as_dict(),
            })


def _ready(app: faust.App) -> bool:
    """Assigned, recovered and not rebalancing: the tables answer for what this worker owns."""
    recovery = app.tables.recovery
    return (not app.rebalancing and not recovery.in_recovery and recovery.completed.is_set())


def _unknown(view: View, sku: str) -> Response:
    return view.json({"error": "unknown merchant SKU", "merchant_sku": sku}, status=404)
