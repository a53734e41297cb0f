"""The JSON shapes of the worker's HTTP API as OpenAPI 3.1 components (JSON Schema 2020-12):
request and answer bodies, and the query parameters the history endpoints share. Enums are
taken from the domain so that the description cannot fall behind a new symbol."""

from __future__ import annotations

import enum
from typing import Any

from stocksync.domain.events import Reason
from stocksync.domain.sync import FailureCode, Rounding, SyncStatus
from stocksync.projections.paging import DEFAULT_LIMIT, MAX_LIMIT
from stocksync.projections.retry import Refusal
from stocksync.projections.sync_logs import SyncLogKind, SyncLogStatus
from stocksync.projections.time_ranges import RANGES
from stocksync.streams.history_api import MAX_RETRY_IDS
from stocksync.streams.refresh_api import MAX_SKUS
from stocksync.streams.sync_log_api import MAX_ENTRIES, MAX_RESYNC_IDS

Schema = dict[str, Any]

STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
EPOCH_MS: Schema = {"type": "integer", "description": "epoch milliseconds"}
STRINGS: Schema = {"type": "array", "items": STRING}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


def symbols(members: type[enum.Enum], description: str | None = None) -> Schema:
    schema: Schema = {"type": "string", "enum": [m.value for m in members]}
    return {**schema, "description": description} if description else schema


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None, *,
        description: str | None = None, closed: bool = True) -> Schema:
    """An object with `required` and `optional` properties; `closed`: no others."""
    schema: Schema = {"type": "object", "properties": {**required, **(optional or {})},
                      "required": list(required)}
    if closed:
        schema["additionalProperties"] = False
    return {**schema, "description": description} if description else schema


def page_of(items: str, schema: Schema) -> Schema:
    return obj({items: {"type": "array", "items": schema},
                "next_cursor": nullable({"type": "string", "description":
                                         "send as `cursor` for the next page; null: the last"})})


# -- query parameters ----------------------------------------------------------------------------

def _query(name: str, description: str, schema: Schema | None = None) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or STRING}


def _list_of(members: type[enum.Enum]) -> str:
    return f"comma-separated, any case: {', '.join(m.value for m in members)}"


TIME_PARAMETERS = {
    "since": _query("since", "log time from (included): epoch ms, an ISO 8601 time (local to "
                             "the worker's STOCKSYNC_TIME_ZONE without an offset) or a date"),
    "until": _query("until", "log time until (excluded); a date includes its whole day"),
    "range": _query("range", "today, this week (from Monday) or this month in the worker's zone; "
                             "not with since/until", {"type": "string", "enum": list(RANGES)}),
}
PAGING_PARAMETERS = {
    "cursor": _query("cursor", "the next_cursor of the previous page"),
    "limit": _query("limit", "items per page", {"type": "integer", "minimum": 1,
                                                "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
}
RECORD_FILTER_PARAMETERS = {
    "merchant_sku": _query("merchant_sku", "exactly this merchant SKU"),
    "store_id": _query("store_id", "exactly this store"),
    "store_sku": _query("store_sku", "exactly this store SKU"),
    "marketplace": _query("marketplace", "this marketplace, any case"),
    "status": _query("status", _list_of(SyncStatus)),
    "reason": _query("reason", _list_of(Reason) + "; or trigger numbers 1-17"),
    "failure_reason": _query("failure_reason", _list_of(FailureCode) + " (FAILED records only)"),
    **TIME_PARAMETERS,
}
LOG_FILTER_PARAMETERS = {
    "kind": _query("kind", _list_of(SyncLogKind)),
    "store_id": _query("store_id", "exactly this store"),
    "marketplace": _query("marketplace", "this marketplace, any case"),
    "subject_id": _query("subject_id", "exactly this product SKU, order, customer or refund id"),
    "status": _query("status", _list_of(SyncLogStatus)),
    "failure_reason": _query("failure_reason", "comma-separated failure codes, any case "
                                               "(FAILED entries only)"),
    **TIME_PARAMETERS,
}


def filter_object(parameters: dict[str, Schema], query_path: str) -> Schema:
    """A bulk action's `filter`: the GET parameters as strings, paging excluded."""
    return obj({}, {name: {"type": "string", "description": p["description"]}
                    for name, p in parameters.items()},
               description=f"the parameters of GET {query_path}, without cursor and limit; "
                           "every match is selected")


# -- schemas -------------------------------------------------------------------------------------

_STOCK_NUMBERS = obj({name: INTEGER for name in
                      ("in_stock", "booked", "reserved", "available", "incoming")})
_SKU_SUMMARY = {"merchant_sku": STRING, "title": nullable(STRING), "last_sync_qty": INTEGER,
                "last_sync_time": EPOCH_MS, "last_sync_status": symbols(SyncStatus),
                "latest": ref("SyncRecord"), "sync_record_ids": STRINGS}
_NOT_RETRYABLE = obj({"record_id": STRING, "refusal": symbols(Refusal),
                      "status": nullable(STRING), "message": STRING})


def _bulk_request(filter_schema: str, max_ids: int) -> Schema:
    return {"oneOf": [
        obj({"record_ids": {"type": "array", "items": {"type": "string", "minLength": 1},
                            "minItems": 1, "maxItems": max_ids}}),
        obj({"filter": ref(filter_schema)}),
    ], "description": "exactly one of record_ids or filter"}


SCHEMAS: dict[str, Schema] = {
    "Error": obj({"error": STRING}, {"parameter": {
        "type": "string", "description": "the query parameter refused (400)"}},
        description="every refusal; some add the subject, e.g. merchant_sku or record_id",
        closed=False),
    "StockNumbers": _STOCK_NUMBERS,
    "StockView": obj({"merchant_sku": STRING,
                      "warehouses": {"type": "object", "additionalProperties": ref("StockNumbers")},
                      "total": ref("StockNumbers")}),
    "StockSeries": obj({
        "merchant_sku": STRING,
        "points": {"type": "array", "description": "oldest first", "items": obj({
            "log_time": EPOCH_MS, "available": {"type": "integer",
                                                "description": "in total, over its warehouses"},
            "warehouses": {"type": "object", "additionalProperties": INTEGER,
                           "description": "available per warehouse"}})},
        "truncated": {"type": "boolean", "description": "older points were left out"}}),
    "Session": obj({"role": {"type": "string", "enum": ["viewer", "operator"]},
                    "can_change": {"type": "boolean"},
                    "time_zone": {"type": "string",
                                  "description": "the worker's STOCKSYNC_TIME_ZONE"}}),
    "Stats": obj({"worker": STRING, "ready": {"type": "boolean"},
                  "assigned_partitions": {"type": "array", "items": INTEGER},
                  "config_versions": {"type": "object", "additionalProperties": INTEGER,
                                      "description": "partition -> config version applied"},
                  "applied": INTEGER, "rejected": INTEGER, "dead_lettered": INTEGER,
                  "redelivered_skipped": INTEGER, "controls_applied": INTEGER,
                  "records_skipped": INTEGER, "records_pushed": INTEGER,
                  "open_windows": INTEGER, "beyond_until": INTEGER,
                  "rejections_by_reason": {"type": "object", "additionalProperties": INTEGER}},
                 description="this worker's counters since it started", closed=False),
    "Store": obj({"store_id": STRING, "nickname": STRING, "marketplace": STRING,
                  "connector_kind": STRING,
                  "connector_options": {"type": "object", "additionalProperties": STRING},
                  "secret_ref": nullable(STRING), "requests_per_second": {"type": "number"}}),
    "StoreInput": obj({"nickname": STRING, "marketplace": STRING}, {
        "store_id": {"type": "string", "description": "if given, the one in the URL"},
        "connector_kind": {"type": "string", "default": "simulated"},
        "connector_options": {"type": "object", "additionalProperties": STRING},
        "secret_ref": nullable({"type": "string", "description": "the environment variable of "
                                "the connector worker that holds the credential"}),
        "requests_per_second": {"type": "number", "default": 5.0}}),
    "StoreList": obj({"stores": {"type": "array", "items": ref("Store")}}),
    "SyncRule": obj({"name": STRING, "warehouses": STRINGS, "store_ids": STRINGS,
                     "percent": {"type": "string", "description": "a decimal number"},
                     "plus_units": INTEGER, "buffer": INTEGER, "zero_below": INTEGER,
                     "max_qty": nullable(INTEGER), "rounding": symbols(Rounding),
                     "enabled": {"type": "boolean"}, "sold_out_threshold": nullable(INTEGER),
                     "sold_out_store_id": nullable(STRING)}),
    "SyncRuleInput": obj({"warehouses": STRINGS, "store_ids": STRINGS}, {
        "name": {"type": "string", "description": "if given, the one in the URL"},
        "percent": {"type": ["string", "number"], "default": "100"},
        "plus_units": {"type": "integer", "default": 0},
        "buffer": {"type": "integer", "default": 0},
        "zero_below": {"type": "integer", "default": 0}, "max_qty": nullable(INTEGER),
        "rounding": {**symbols(Rounding), "default": "DOWN"},
        "enabled": {"type": "boolean", "default": True},
        "sold_out_threshold": nullable(INTEGER), "sold_out_store_id": nullable(STRING)}),
    "SyncRuleList": obj({"rules": {"type": "array", "items": ref("SyncRule")}}),
    "Removed": obj({"removed": STRING}),
    "RefreshRequest": obj({}, {"merchant_skus": {**STRINGS, "maxItems": MAX_SKUS},
                               "store_ids": STRINGS},
                          description="merchant SKUs, stores or both (not both empty)"),
    "RefreshQueued": {"oneOf": [
        obj({"queued": {"type": "integer", "description": "events published, one per SKU"},
             "reason": symbols(Reason), "event_ids": STRINGS, "store_ids": STRINGS}),
        obj({"queued": {"const": "refresh of every SKU"}, "control_id": STRING,
             "store_ids": STRINGS}),
    ]},
    "SyncRecord": obj({
        "record_id": STRING, "sync_time": EPOCH_MS, "log_time": EPOCH_MS,
        "marketplace": STRING, "store_id": STRING, "store_nickname": STRING,
        "store_sku": STRING, "merchant_sku": STRING, "title": nullable(STRING),
        "warehouse_id": STRING, "before_qty": INTEGER, "movement": INTEGER,
        "after_qty": INTEGER, "rule_name": STRING, "reason": symbols(Reason),
        "cause_event_id": STRING, "cause_topic": STRING, "cause_partition": INTEGER,
        "cause_offset": INTEGER, "status": symbols(SyncStatus),
        "superseded_by": nullable(STRING),
        "failure_code": nullable(symbols(FailureCode)), "failure_message": nullable(STRING),
    }, description="one push decision for one listing (PRODUCT.md §3)"),
    "SyncRecordPage": page_of("records", ref("SyncRecord")),
    "SkuSummary": obj(_SKU_SUMMARY,
                      description="a merchant SKU's latest sync (the Sync Recording page)"),
    "SkuSummaryPage": page_of("merchant_skus", ref("SkuSummary")),
    "SkuHistory": obj({**_SKU_SUMMARY, "records": {
        "type": "array", "items": ref("SyncRecord"),
        "description": "the records of the latest sync"}}),
    "ListingHistory": obj({"store_id": STRING, "store_sku": STRING,
                           "last_push_qty": nullable(INTEGER),
                           "last_push_status": nullable(symbols(SyncStatus)),
                           "last_push_time": nullable(EPOCH_MS),
                           "records": {"type": "array", "items": ref("SyncRecord"),
                                       "description": "newest first"}},
                          description="a store SKU's latest records (the Push Record page); "
                                      "the last push is the latest record not SKIPPED"),
    "RecordFilter": filter_object(RECORD_FILTER_PARAMETERS, "/sync-records"),
    "RetryRequest": _bulk_request("RecordFilter", MAX_RETRY_IDS),
    "NotRetryable": _NOT_RETRYABLE,
    "RetryQueued": obj({
        "queued": {"type": "array", "items": obj({
            "merchant_sku": STRING, "store_ids": STRINGS,
            "event_id": {"type": "string", "description": "the PUSH_NOW event published"},
            "listings": {"type": "array", "items": obj({
                "store_id": STRING, "store_sku": STRING, "record_ids": STRINGS})}})},
        "not_retryable": {"type": "array", "items": ref("NotRetryable")}}),
    "SyncLogEntry": obj({
        "record_id": STRING, "kind": symbols(SyncLogKind), "subject_id": STRING,
        "store_id": STRING, "marketplace": STRING, "status": symbols(SyncLogStatus),
        "occurred_at": EPOCH_MS, "log_time": EPOCH_MS, "attempt": INTEGER,
        "failure_code": nullable(STRING), "failure_message": nullable(STRING),
        "details": {"type": "object", "additionalProperties": STRING},
    }, description="one sync of a product, order, customer or refund to one store"),
    "SyncLogEntryInput": obj({
        "record_id": STRING, "kind": {"type": "string", "description": _list_of(SyncLogKind)},
        "subject_id": STRING, "store_id": STRING, "marketplace": STRING,
        "status": {"type": "string", "description": _list_of(SyncLogStatus)},
        "occurred_at": EPOCH_MS}, {
        "log_time": {"type": "integer", "description": "ignored: the log sets it"},
        "attempt": {"type": "integer", "minimum": 1, "default": 1},
        "failure_code": nullable(STRING), "failure_message": nullable(STRING),
        "details": {"type": "object", "additionalProperties": STRING}}),
    "SyncLogReport": obj({"entries": {"type": "array", "items": ref("SyncLogEntryInput"),
                                      "minItems": 1, "maxItems": MAX_ENTRIES}}),
    "SyncLogAccepted": obj({"accepted": INTEGER, "record_ids": STRINGS}),
    "SyncLogPage": page_of("entries", ref("SyncLogEntry")),
    "LogFilter": filter_object(LOG_FILTER_PARAMETERS, "/sync-logs"),
    "ResyncRequest": _bulk_request("LogFilter", MAX_RESYNC_IDS),
    "ResyncQueued": obj({
        "queued": {"type": "array", "items": obj({
            "request_id": STRING, "kind": symbols(SyncLogKind), "store_id": STRING,
            "subject_id": STRING, "attempt": INTEGER, "record_ids": STRINGS})},
        "not_retryable": {"type": "array", "items": ref("NotRetryable")}}),
}
