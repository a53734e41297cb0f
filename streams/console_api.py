"""The two API routes the operators' web console (streams/console/) needs beyond the others:

    GET /session                 the role the request's token acts with (what the console shows)
    GET /stock/{sku}/series      a SKU's available stock over time, from the log

Both are plain API routes, described in the OpenAPI document like every other.
"""

from __future__ import annotations

import asyncio

import faust
from faust.web import Request, Response, View

from stocksync.projections.paging import limit_from_query
from stocksync.projections.query_errors import QueryError
from stocksync.projections.time_ranges import parse_instant
from stocksync.settings import Settings
from stocksync.stock_series import DEFAULT_POINTS, MAX_POINTS, stock_series
from stocksync.streams.auth import Guard, Role
from stocksync.streams.http_errors import ApiError, answers_errors, query_params

SERIES_PARAMETERS = frozenset({"since", "until", "limit"})


def register_console_api(app: faust.App, settings: Settings, guard: Guard) -> None:
    @app.page("/session")
    class SessionView(View):
        @guard.requires(Role.VIEWER)
        async def get(self, request: Request) -> Response:
            role = guard.role_of(request) or Role.VIEWER  # the guard let it through
            return self.json({"role": role.name.lower(), "can_change": role >= Role.OPERATOR,
                              "time_zone": settings.time_zone})

    @app.page("/stock/{sku}/series")
    class StockSeriesView(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request: Request, sku: str) -> Response:
            params = query_params(request)
            for name in sorted(params.keys() - SERIES_PARAMETERS):
                raise QueryError(name, "unknown parameter; known: "
                                       f"{', '.join(sorted(SERIES_PARAMETERS))}")
            since = _instant(params, "since", settings)
            until = _instant(params, "until", settings)
            if since is not None and until is not None and since >= until:
                raise QueryError("since", "must be before until")
            limit = limit_from_query(params, default=DEFAULT_POINTS, maximum=MAX_POINTS)
            # A blocking read of the SKU's partition: on a thread, never on the event loop.
            series = await asyncio.to_thread(stock_series, settings, sku, since_ms=since,
                                             until_ms=until, limit=limit)
            if series is None:
                raise ApiError(404, "unknown merchant SKU (no event of it in the log)",
                               merchant_sku=sku)
            return self.json(series)


def _instant(params: dict[str, str], name: str, settings: Settings) -> int | None:
    if name not in params:
        return None
    instant = parse_instant(params[name].strip(), settings.time_zone, name)
    if instant < 0:
        raise QueryError(name, f"{params[name]!r} is before the log can begin (1970)")
    return instant
