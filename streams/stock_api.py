"""HTTP views for stock, served by every worker; a request for a SKU another worker owns is
forwarded to it by faust's table routing (keys are UTF-8 SKU bytes everywhere, so every worker
computes the same partition for a SKU as the producers did)."""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View

from stocksync.domain.stock import stock_view
from stocksync.streams.auth import Guard, Role
from stocksync.streams.state_codec import decode_stored


def register_stock_api(app: faust.App, stock_table: Any, fold: Any, source_topic: str,
                       guard: Guard) -> None:
    @app.page("/stock/{sku}")
    class StockView(View):
        @guard.requires(Role.VIEWER)
        @app.table_route(table=stock_table, match_info="sku")
        async def get(self, request: Request, sku: str) -> Response:
            # Outside a stream, faust looks the key up in every local partition.
            raw = stock_table.get(sku.encode())
            if raw is None:
                return self.json({"error": "unknown merchant SKU", "merchant_sku": sku},
                                 status=404)
            return self.json(stock_view(decode_stored(raw).stock))

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

