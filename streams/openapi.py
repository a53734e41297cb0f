"""An OpenAPI 3.1 description of every route a worker serves, served at `GET /openapi.json`
(no token needed: it holds no data).

    register_openapi(app)       # after every other route, in `create_app`
    openapi_document()          # the document as a dict

Each operation names the role it needs (`x-required-role`, as `Guard.requires` enforces it);
tests compare the document with the routes and roles of a real app. Not described: the workers'
own scatter-gather route (`UNDOCUMENTED`), faust's built-in pages, and the HEAD that faust adds
to every route.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.web import Request, Response, View

from stocksync import __version__
from stocksync.stock_series import DEFAULT_POINTS, MAX_POINTS
from stocksync.streams.auth import Role
from stocksync.streams.console import ASSET_PATH, CONSOLE_PATH
from stocksync.streams.openapi_schemas import (
    LOG_FILTER_PARAMETERS,
    PAGING_PARAMETERS,
    RECORD_FILTER_PARAMETERS,
    SCHEMAS,
    STRING,
    Schema,
    ref,
)

OPENAPI_PATH = "/openapi.json"
# Served, on purpose not described: not an API for clients.
UNDOCUMENTED = {
    "/_local/{name}": "workers ask each other for the answer over their own partitions "
                      "(scatter-gather); its bodies may change with any release",
    CONSOLE_PATH: "the operators' web console (HTML): a client of this API, not part of it",
    ASSET_PATH: "the web console's CSS and JavaScript files",
}

_DESCRIPTION = """\
Every worker serves this API and answers for every key: a request for a SKU another worker owns
is forwarded to it, and the history queries gather every worker's partitions (503 with
Retry-After while the workers rebalance, never a partial answer).

**Access.** With tokens configured (STOCKSYNC_API_TOKENS), every request needs
`Authorization: Bearer <token>`: the viewer role reads, the operator role also changes (each
operation names its role in `x-required-role`). No token or an unknown one: 401; too low a role:
403. With no token configured the API is open (and binds 127.0.0.1 by default).

**Errors** are JSON `{"error": message}`; a refused query parameter is named in `parameter`.

**History queries** page newest first by log time (the time a trigger reached the log): send
`next_cursor` back as `cursor`. Filters combine with AND; list-valued ones take comma-separated
values. `range` and date-only `since`/`until` are in the worker's STOCKSYNC_TIME_ZONE.
"""

_ERRORS = {
    400: "a bad query parameter (named in `parameter`) or body",
    401: "no token, or not a valid one",
    403: "the token's role is too low",
    503: "the workers are rebalancing or recovering, or one does not answer; try again",
}


def _path(name: str, description: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": STRING}


def _error(status: int, description: str | None = None) -> Schema:
    answer: Schema = {"description": description or _ERRORS[status],
                      "content": {"application/json": {"schema": ref("Error")}}}
    if status == 503:
        answer["headers"] = {"Retry-After": {"description": "seconds to wait",
                                             "schema": {"type": "integer"}}}
    return answer


def _operation(operation_id: str, summary: str, role: Role | None, answer: Schema, *,
               tag: str, parameters: list[Schema] | None = None, body: Schema | None = None,
               errors: dict[int, str | None] | None = None,
               description: str | None = None) -> Schema:
    """One operation; `role` None: no token needed."""
    responses: dict[str, Schema] = {"200": {
        "description": "OK", "content": {"application/json": {"schema": answer}}}}
    for status, text in sorted({**(errors or {}), **_role_errors(role)}.items()):
        responses[str(status)] = _error(status, text)
    operation: Schema = {"operationId": operation_id, "summary": summary, "tags": [tag],
                         "responses": responses}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": body}}}
    if role is None:
        operation["security"] = []
    else:
        operation["security"] = [{"bearerAuth": []}]
        operation["x-required-role"] = role.name.lower()
    return operation


def _role_errors(role: Role | None) -> dict[int, str | None]:
    if role is None:
        return {}
    return {401: None, 403: None} if role is Role.OPERATOR else {401: None}


_SCATTERED = {503: None}  # answered by gathering every worker's partitions
_SKU = _path("sku", "a merchant SKU")
_AS_OF = {"name": "as_of", "in": "query", "required": False, "schema": STRING,
          "description": "an instant: epoch ms, an ISO 8601 time (without offset: in the worker's "
                         "STOCKSYNC_TIME_ZONE) or an ISO date (its first instant)"}
_SERIES_QUERY = [
    {"name": "since", "in": "query", "required": False, "schema": STRING,
     "description": "log time from: an instant as for as_of; the first point is the stock then"},
    {"name": "until", "in": "query", "required": False, "schema": STRING,
     "description": "log time until (excluded): an instant as for as_of"},
    {"name": "limit", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_POINTS,
                "default": DEFAULT_POINTS}, "description": "at most this many points, the newest"},
]
_RECORD_QUERY = [*RECORD_FILTER_PARAMETERS.values(), *PAGING_PARAMETERS.values()]
_LOG_QUERY = [*LOG_FILTER_PARAMETERS.values(), *PAGING_PARAMETERS.values()]


def _paths() -> dict[str, Schema]:
    viewer, operator = Role.VIEWER, Role.OPERATOR
    return {
        "/stock/{sku}": {"get": _operation(
            "getStock", "A merchant SKU's stock per warehouse and in total", viewer,
            ref("StockView"), tag="stock", parameters=[_SKU, _AS_OF],
            errors={400: None, 404: "unknown merchant SKU (at that instant: no event of it yet)"},
            description="With `as_of`, the stock as it was at that instant: the worker that "
                        "takes the request folds the SKU's events logged up to then (a read of "
                        "its partition from the start).")},
        "/stock/{sku}/series": {"get": _operation(
            "getStockSeries", "A merchant SKU's available stock over time, from the log", viewer,
            ref("StockSeries"), tag="stock", parameters=[_SKU, *_SERIES_QUERY],
            errors={400: None, 404: "no event of this merchant SKU in the log"},
            description="A point each time an applied event changed the available stock (in "
                        "total or in a warehouse), at the event's log time: the instants "
                        "`as_of` answers for. With `since`, the first point is the stock at "
                        "`since`. Read from the log by the worker that takes the request.")},
        "/session": {"get": _operation(
            "getSession", "The role this request's token acts with", viewer, ref("Session"),
            tag="meta", description="What a client such as the web console may offer: "
                                    "`can_change` is true for the operator role (always with no "
                                    "token configured, never on a replay's worker).")},
        "/stats": {"get": _operation(
            "getStats", "What this worker did, and whether it is ready", viewer, ref("Stats"),
            tag="stock")},
        "/refresh": {"post": _operation(
            "refresh", "Push current quantities again: of SKUs, of stores, or both", operator,
            ref("RefreshQueued"), tag="stock", body=ref("RefreshRequest"), errors={400: None},
            description="SKUs only: one REFRESH_INVENTORY event each; SKUs and stores: one "
                        "PUSH_NOW event per SKU for those stores; stores only: a refresh of "
                        "every SKU for those stores.")},
        "/stores": {"get": _operation(
            "listStores", "The connected stores", viewer, ref("StoreList"), tag="config")},
        "/stores/{store_id}": {
            "get": _operation("getStore", "One store", viewer, ref("Store"), tag="config",
                              parameters=[_path("store_id", "a store id")],
                              errors={404: "no such store"}),
            "put": _operation("putStore", "Add or replace a store", operator, ref("Store"),
                              tag="config", parameters=[_path("store_id", "a store id")],
                              body=ref("StoreInput"), errors={400: None}),
            "delete": _operation("deleteStore", "Remove a store", operator, ref("Removed"),
                                 tag="config", parameters=[_path("store_id", "a store id")],
                                 errors={409: "a rule still pushes to the store"}),
        },
        "/rules": {"get": _operation(
            "listRules", "The sync rules", viewer, ref("SyncRuleList"), tag="config")},
        "/rules/{name}": {
            "get": _operation("getRule", "One sync rule", viewer, ref("SyncRule"), tag="config",
                              parameters=[_path("name", "a rule name")],
                              errors={404: "no such rule"}),
            "put": _operation("putRule", "Add or replace a sync rule (its pushes are re-sent)",
                              operator, ref("SyncRule"), tag="config",
                              parameters=[_path("name", "a rule name")],
                              body=ref("SyncRuleInput"), errors={400: None}),
            "delete": _operation("deleteRule", "Remove a sync rule", operator, ref("Removed"),
                                 tag="config", parameters=[_path("name", "a rule name")],
                                 errors={404: "no such rule"}),
        },
        "/sync-records": {"get": _operation(
            "listSyncRecords", "Sync records, filtered, newest first", viewer,
            ref("SyncRecordPage"), tag="history", parameters=_RECORD_QUERY,
            errors={400: None, **_SCATTERED})},
        "/sync-records/{record_id}": {"get": _operation(
            "getSyncRecord", "One sync record", viewer, ref("SyncRecord"), tag="history",
            parameters=[_path("record_id", "a sync record id")],
            errors={404: "no such record (it may have left the history)", **_SCATTERED})},
        "/sync-recording": {"get": _operation(
            "listSyncRecording", "Sync Recording: each merchant SKU's latest sync", viewer,
            ref("SkuSummaryPage"), tag="history", parameters=_RECORD_QUERY,
            errors={400: None, **_SCATTERED},
            description="The filters apply to each SKU's latest sync record.")},
        "/sync-recording/{sku}": {"get": _operation(
            "getSyncRecording", "One merchant SKU's latest sync and its records", viewer,
            ref("SkuHistory"), tag="history", parameters=[_SKU],
            errors={404: "no sync record for this merchant SKU"})},
        "/push-records/{store_id}/{store_sku}": {"get": _operation(
            "getPushRecords", "Push Record: a store SKU's latest records", viewer,
            ref("ListingHistory"), tag="history",
            parameters=[_path("store_id", "a store id"), _path("store_sku", "a store SKU")],
            errors={404: "no push record for this store SKU", **_SCATTERED})},
        "/push-records/retry": {"post": _operation(
            "retryPushRecords", "Re-push the listings of FAILED sync records", operator,
            ref("RetryQueued"), tag="history", body=ref("RetryRequest"),
            errors={400: None, **_SCATTERED},
            description="By record ids or by filter (narrowed to FAILED records). One PUSH_NOW "
                        "event per merchant SKU for the stores of its failed listings: each "
                        "listing gets its current quantity once. Ids that are unknown or not "
                        "FAILED are listed in not_retryable.")},
        "/sync-logs": {
            "get": _operation("listSyncLogs", "Product, order, customer and refund sync log "
                              "entries, filtered, newest first", viewer, ref("SyncLogPage"),
                              tag="sync-logs", parameters=_LOG_QUERY,
                              errors={400: None, **_SCATTERED}),
            "post": _operation("reportSyncLogs", "Report sync log entries (connectors)",
                               operator, ref("SyncLogAccepted"), tag="sync-logs",
                               body=ref("SyncLogReport"),
                               errors={400: "a bad entry (named by `entry` and `field`); "
                                            "nothing was written"}),
        },
        "/sync-logs/{record_id}": {"get": _operation(
            "getSyncLog", "One sync log entry", viewer, ref("SyncLogEntry"), tag="sync-logs",
            parameters=[_path("record_id", "a sync log entry's record id")],
            errors={404: "no such entry (it may have left the history)", **_SCATTERED})},
        "/sync-logs/resync": {"post": _operation(
            "resyncSyncLogs", "Sync the subjects of FAILED entries again", operator,
            ref("ResyncQueued"), tag="sync-logs", body=ref("ResyncRequest"),
            errors={400: None, **_SCATTERED},
            description="By record ids or by filter (narrowed to FAILED entries): one request "
                        "to the connectors per subject and store, at the next attempt; its "
                        "failed entries show as PENDING until the connector reports.")},
        OPENAPI_PATH: {"get": _operation(
            "getOpenApi", "This description", None, {"type": "object"}, tag="meta")},
    }


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "stocksync worker API", "version": __version__,
                 "description": _DESCRIPTION},
        "tags": [
            {"name": "stock", "description": "stock per SKU, the worker, refresh"},
            {"name": "config", "description": "stores and sync rules"},
            {"name": "history", "description": "sync records (PRODUCT.md §3-§4)"},
            {"name": "sync-logs", "description": "product, order, customer and refund syncs"},
            {"name": "meta", "description": "this description, the caller's role"},
        ],
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "a token of STOCKSYNC_API_TOKENS (viewer or operator)"}},
        },
    }


def register_openapi(app: faust.App) -> None:
    document = openapi_document()

    @app.page(OPENAPI_PATH)
    class OpenApiView(View):
        async def get(self, request: Request) -> Response:
            return self.json(document)
