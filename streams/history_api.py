"""The operators' sync-history API (PRODUCT.md §4), served by every worker.

    GET  /sync-records?filters&cursor&limit     records, newest first (scatter-gather)
    GET  /sync-records/{record_id}              one record, every field (scatter-gather)
    GET  /sync-recording?filters&cursor&limit   latest sync per merchant SKU (scatter-gather)
    GET  /sync-recording/{merchant_sku}         one SKU's latest sync and its records (routed)
    GET  /push-records/{store_id}/{store_sku}   a listing's latest records (scatter-gather)
    POST /push-records/retry                    re-push the listings of FAILED records

A filter is parsed once by the worker that takes the request (`range=today` in the configured
zone becomes epoch milliseconds) and sent as such to every worker, so all select the same
instants. Records are JSON objects with the fields of PRODUCT.md §3 (the Avro field names).
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import faust
from faust.web import Request, Response, View

from stocksync.domain.events import PushNowRequested
from stocksync.domain.sync import SyncRecord
from stocksync.projections.paging import (
    Page,
    decode_cursor,
    limit_from_query,
    merge_pages,
    newest_first,
    page,
    page_of_newest_first,
)
from stocksync.projections.queries import (
    RecordFilter,
    filter_from_query,
    filter_to_query,
    merge_record_pages,
)
from stocksync.projections.retry import (
    NotRetryable,
    Refusal,
    RetryTarget,
    Selection,
    merge_retry_selections,
    push_now_stores,
    select_for_retry,
)
from stocksync.projections.sync_history import merge
from stocksync.projections.view_codec import decode_listing_history, decode_sku_summary
from stocksync.projections.views import ListingHistory, SkuSummary, apply_to_listing
from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import (
    decode_sync_record,
    sync_record_from_avro,
    sync_record_to_avro,
)
from stocksync.settings import Settings
from stocksync.streams.auth import Guard, Role
from stocksync.streams.history_projection import (
    TIME_PREFIX,
    HistoryTables,
    listing_key,
    now_ms,
    sku_prefix,
    time_key,
    time_key_parts,
)
from stocksync.streams.http_errors import (
    ApiError,
    answers_errors,
    bulk_request,
    json_body,
    query_params,
)
from stocksync.streams.scatter import Scatter
from stocksync.streams.table_scan import (
    partition_get,
    partition_items,
    partition_keys_backwards,
)

MAX_RETRY_IDS = 10_000


def record_json(record: SyncRecord) -> dict[str, Any]:
    return sync_record_to_avro(record)


def listing_json(view: ListingHistory) -> dict[str, Any]:
    return {"store_id": view.store_id, "store_sku": view.store_sku,
            "last_push_qty": view.last_push_qty,
            "last_push_status": view.last_push_status.value if view.last_push_status else None,
            "last_push_time": view.last_push_time,
            "records": [record_json(r) for r in view.newest_first]}


def summary_json(view: SkuSummary) -> dict[str, Any]:
    return {"merchant_sku": view.merchant_sku, "title": view.title,
            "last_sync_qty": view.last_sync_qty, "last_sync_time": view.last_sync_time,
            "last_sync_status": view.last_sync_status.value,
            "latest": record_json(view.latest),
            "sync_record_ids": sorted(view.sync_record_ids)}


@dataclass(frozen=True)
class _LatestMatches:
    """A record filter applied to a Sync Recording row: its latest sync's record."""

    where: RecordFilter

    def matches(self, summary: SkuSummary) -> bool:
        return self.where.matches(summary.latest)


def register_history_api(app: faust.App, settings: Settings, tables: HistoryTables,
                         stock_events: Any, scatter: Scatter, guard: Guard) -> None:
    local = _LocalQueries(tables)
    scatter.local("records-page", tables.records, local.records_page)
    scatter.local("record", tables.records, local.record)
    scatter.local("recording-page", tables.summaries, local.recording_page)
    scatter.local("listing", tables.listings, local.listing)
    scatter.local("retry-selection", tables.records, local.retry_selection)
    codec = default_codec()

    def parsed_filter(params: dict[str, str]) -> tuple[RecordFilter, str | None, int]:
        where = filter_from_query(params, now_ms(), settings.time_zone)
        cursor = params.get("cursor")
        if cursor is not None:
            decode_cursor(cursor)
        return where, cursor, limit_from_query(params)

    @app.page("/sync-records")
    class SyncRecordsView(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request: Request) -> Response:
            where, cursor, limit = parsed_filter(query_params(request))
            answers = await scatter.ask(request, "records-page", {
                "query": filter_to_query(where), "cursor": cursor, "limit": limit})
            merged = merge_record_pages((_page_from_json(a, sync_record_from_avro)
                                         for a in answers), limit)
            return self.json({"records": [record_json(r) for r in merged.items],
                              "next_cursor": merged.next_cursor})

    @app.page("/sync-records/{record_id}")
    class SyncRecordView(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request: Request, record_id: str) -> Response:
            answers = await scatter.ask(request, "record", {"record_id": record_id})
            found = [sync_record_from_avro(a["record"]) for a in answers if a["record"]]
            if not found:
                raise ApiError(404, "no such sync record (it may have left the history)",
                               record_id=record_id)
            return self.json(record_json(functools.reduce(merge, found)))

    @app.page("/sync-recording")
    class SyncRecordingListView(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request: Request) -> Response:
            where, cursor, limit = parsed_filter(query_params(request))
            answers = await scatter.ask(request, "recording-page", {
                "query": filter_to_query(where), "cursor": cursor, "limit": limit})
            merged = merge_pages((_page_from_json(a, _summary_from_json) for a in answers),
                                 limit)
            return self.json({"merchant_skus": [summary_json(s) for s in merged.items],
                              "next_cursor": merged.next_cursor})

    @app.page("/sync-recording/{sku}")
    class SyncRecordingView(View):
        @guard.requires(Role.VIEWER)
        @app.table_route(table=tables.summaries, match_info="sku")
        async def get(self, request: Request, sku: str) -> Response:
            raw = tables.summaries.get(sku.encode())
            if raw is None:
                return self.json({"error": "no sync record for this merchant SKU",
                                  "merchant_sku": sku}, status=404)
            summary = decode_sku_summary(raw)
            records = (tables.records.get(record_id.encode())
                       for record_id in sorted(summary.sync_record_ids))
            return self.json({**summary_json(summary), "records": [
                record_json(decode_sync_record(r)) for r in records if r is not None]})

    @app.page("/push-records/{store_id}/{store_sku}")
    class PushRecordsView(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request: Request, store_id: str, store_sku: str) -> Response:
            answers = await scatter.ask(request, "listing",
                                        {"store_id": store_id, "store_sku": store_sku})
            views = [decode_listing_history(bytes.fromhex(raw))
                     for a in answers for raw in a["listings"]]
            if not views:
                raise ApiError(404, "no push record for this store SKU",
                               store_id=store_id, store_sku=store_sku)
            view = views[0]
            for other in views[1:]:  # the union, still bounded
                for record in other.records:
                    view = apply_to_listing(view, record, settings.history_listing_limit)
            return self.json(listing_json(view))

    @app.page("/push-records/retry")
    class RetryView(View):
        @guard.requires(Role.OPERATOR)
        @answers_errors
        async def post(self, request: Request) -> Response:
            ask = _retry_request(await json_body(request), settings)
            answers = await scatter.ask(request, "retry-selection", ask)
            selection = merge_retry_selections(_selection_from_json(a) for a in answers)
            queued = await _publish_push_now(stock_events, codec, selection.targets)
            return self.json({
                "queued": queued,
                "not_retryable": [{"record_id": n.record_id, "refusal": n.refusal.value,
                                   "status": n.status, "message": n.message}
                                  for n in selection.not_retryable]})


class _LocalQueries:
    """Each worker's answers over its own partitions (see `Scatter.local`)."""

    def __init__(self, tables: HistoryTables) -> None:
        self._tables = tables

    def _newest_first(self, partition: int, where: RecordFilter,
                      cursor: str | None) -> Iterator[SyncRecord]:
        """One partition's records newest first, after `cursor` and within `where`'s time range,
        read from the time index: a page reads only as far back as it needs."""
        # One SKU's records have an index of their own: a rare SKU is not a long scan.
        prefix = TIME_PREFIX if where.merchant_sku is None else sku_prefix(where.merchant_sku)
        bounds = [time_key(*decode_cursor(cursor), prefix)] if cursor else []
        if where.time_range.until is not None:
            bounds.append(time_key(where.time_range.until, "", prefix))
        since = where.time_range.since
        for key in partition_keys_backwards(self._tables.by_time, partition, prefix,
                                            min(bounds) if bounds else None):
            log_time, record_id = time_key_parts(key, prefix)
            if since is not None and log_time < since:
                return
            raw = partition_get(self._tables.records, partition, record_id.encode())
            if raw is not None:
                yield decode_sync_record(raw)

    def _records(self, where: RecordFilter, partitions: list[int],
                 cursor: str | None = None) -> Iterator[SyncRecord]:
        return newest_first(self._newest_first(p, where, cursor) for p in partitions)

    def _filter(self, body: dict[str, Any]) -> RecordFilter:
        return filter_from_query(body.get("query") or {}, now_ms(), "UTC")

    def records_page(self, body: dict[str, Any], partitions: list[int]) -> dict[str, Any]:
        where, cursor = self._filter(body), body.get("cursor")
        found = page_of_newest_first(self._records(where, partitions, cursor), where,
                                     int(body["limit"]))
        return _page_json(found, record_json)

    def _record_by_id(self, record_id: str, partitions: list[int]) -> SyncRecord | None:
        key = record_id.encode()
        found = (partition_get(self._tables.records, p, key) for p in partitions)
        raw = next((raw for raw in found if raw is not None), None)
        return None if raw is None else decode_sync_record(raw)

    def record(self, body: dict[str, Any], partitions: list[int]) -> dict[str, Any]:
        found = self._record_by_id(str(body["record_id"]), partitions)
        return {"record": None if found is None else record_json(found)}

    def recording_page(self, body: dict[str, Any], partitions: list[int]) -> dict[str, Any]:
        summaries = (decode_sku_summary(raw) for partition in partitions
                     for _, raw in partition_items(self._tables.summaries, partition))
        found = page(summaries, _LatestMatches(self._filter(body)), body.get("cursor"),
                     int(body["limit"]))
        return _page_json(found, summary_json)

    def listing(self, body: dict[str, Any], partitions: list[int]) -> dict[str, Any]:
        # A store SKU remapped to another merchant SKU has records on both SKUs' partitions.
        key = listing_key(str(body["store_id"]), str(body["store_sku"]))
        found = (partition_get(self._tables.listings, partition, key) for partition in partitions)
        return {"listings": [raw.hex() for raw in found if raw is not None]}

    def retry_selection(self, body: dict[str, Any], partitions: list[int]) -> dict[str, Any]:
        if "ids" in body:
            found = {i: self._record_by_id(i, partitions) for i in body["ids"]}
            selection = select_for_retry({i: r for i, r in found.items() if r is not None},
                                         ids=body["ids"])
        else:
            where = self._filter(body)
            records = {r.record_id: r for r in self._records(where, partitions)}
            selection = select_for_retry(records, where=where)
        return {"targets": [{"store_id": t.store_id, "store_sku": t.store_sku,
                             "merchant_sku": t.merchant_sku, "record_ids": list(t.record_ids)}
                            for t in selection.targets],
                "not_retryable": [{"record_id": n.record_id, "refusal": n.refusal.value,
                                   "status": n.status} for n in selection.not_retryable]}


def _retry_request(body: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The local query of a retry body: `{"record_ids": [...]}` or `{"filter": {...}}`."""
    ids, params = bulk_request(body, query_path="/sync-records", max_ids=MAX_RETRY_IDS,
                               action="retry")
    if ids is not None:
        return {"ids": ids}
    where = filter_from_query(params or {}, now_ms(), settings.time_zone)
    select_for_retry({}, where=where)  # refuses a filter that cannot select a FAILED record
    return {"query": filter_to_query(where)}


async def _publish_push_now(stock_events: Any, codec: Any,
                            targets: tuple[RetryTarget, ...]) -> list[dict[str, Any]]:
    """One PUSH_NOW per merchant SKU, for the stores of its failed listings: the fold pushes the
    listings' current quantities as new records, recorded and replayed like any push."""
    batch, at = uuid.uuid4().hex[:12], int(time.time() * 1000)
    queued, futures = [], []
    for n, (sku, stores) in enumerate(push_now_stores(targets).items()):
        event = PushNowRequested(event_id=f"retry-{batch}-{n}", merchant_sku=sku,
                                 warehouse_id="", occurred_at=at, source="operator-retry",
                                 store_ids=stores)
        futures.append(await stock_events.send(key=sku.encode(), value=codec.encode(event)))
        queued.append({"merchant_sku": sku, "store_ids": list(stores), "event_id": event.event_id,
                       "listings": [{"store_id": t.store_id, "store_sku": t.store_sku,
                                     "record_ids": list(t.record_ids)}
                                    for t in targets if t.merchant_sku == sku]})
    for future in futures:
        await future
    return queued


def _page_json(found: Page[Any], to_json: Any) -> dict[str, Any]:
    return {"items": [to_json(item) for item in found.items], "next_cursor": found.next_cursor}


def _page_from_json(answer: dict[str, Any], from_json: Any) -> Page[Any]:
    return Page(tuple(from_json(item) for item in answer["items"]), answer["next_cursor"])


def _summary_from_json(data: dict[str, Any]) -> SkuSummary:
    return SkuSummary(data["merchant_sku"], sync_record_from_avro(data["latest"]),
                      frozenset(data["sync_record_ids"]))


def _selection_from_json(answer: dict[str, Any]) -> Selection[RetryTarget]:
    return Selection(
        tuple(RetryTarget(t["store_id"], t["store_sku"], t["merchant_sku"],
                          tuple(t["record_ids"])) for t in answer["targets"]),
        tuple(NotRetryable(n["record_id"], Refusal(n["refusal"]), n["status"])
              for n in answer["not_retryable"]))
