"""The other sync logs over HTTP (product, order, customer, refund), served by every worker.

    POST /sync-logs                            report entries (connectors outside the process)
    GET  /sync-logs?filters&cursor&limit       entries, newest first (scatter-gather)
    GET  /sync-logs/{record_id}                one entry (scatter-gather)
    POST /sync-logs/resync                     re-sync the subjects of FAILED entries

An entry in JSON has the fields of `SyncLogEntry`, enums as their values and `details` as an
object. A filter is parsed once by the worker that takes the request (`range=today` in the
configured zone becomes epoch milliseconds) and sent as such to every worker, as for sync records.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import faust
from faust.web import Request, Response, View

from stocksync.connectors.sync_log_reporter import (
    InvalidEntry,
    ResyncRequest,
    check_entry,
    encode_resync_request,
    entry_partition,
    subject_key,
    subject_partition,
)
from stocksync.projections.paging import Page, decode_cursor, limit_from_query, merge_pages, page
from stocksync.projections.retry import NotRetryable, Refusal, Selection
from stocksync.projections.sync_logs import (
    LogFilter,
    ResyncTarget,
    SyncLogEntry,
    SyncLogKind,
    SyncLogStatus,
    log_filter_from_query,
    log_filter_to_query,
    merge_entry,
    merge_resync_selections,
    resync_selection,
)
from stocksync.projections.view_codec import decode_sync_log_entry, encode_sync_log_entry
from stocksync.settings import Settings
from stocksync.streams.auth import Guard, Role
from stocksync.streams.fold_io import RAW
from stocksync.streams.history_projection import now_ms
from stocksync.streams.http_errors import (
    ApiError,
    answers_errors,
    bulk_request,
    json_body,
    query_params,
)
from stocksync.streams.scatter import Scatter
from stocksync.streams.sync_log_projection import SyncLogTables, register_sync_log_projection
from stocksync.streams.table_scan import partition_get, partition_items
from stocksync.topics import SYNC_LOG_RESYNC

MAX_ENTRIES = 10_000  # per POST /sync-logs
MAX_RESYNC_IDS = 10_000

_REQUIRED = ("record_id", "kind", "subject_id", "store_id", "marketplace", "status",
             "occurred_at")
_OPTIONAL = ("log_time", "attempt", "failure_code", "failure_message", "details")


# -- JSON ----------------------------------------------------------------------------------------

def entry_json(entry: SyncLogEntry) -> dict[str, Any]:
    return {**{f.name: getattr(entry, f.name) for f in dataclasses.fields(entry)},
            "kind": entry.kind.value, "status": entry.status.value,
            "details": dict(entry.details)}


def entry_from_json(data: Any) -> SyncLogEntry:
    """The entry of a JSON object; InvalidEntry naming the first bad field. Kind and status
    are case-insensitive; `log_time` may be left out (0): the log sets it."""
    if not isinstance(data, dict):
        raise InvalidEntry("entry", "must be a JSON object")
    unknown = sorted(set(data) - {*_REQUIRED, *_OPTIONAL})
    if unknown:
        raise InvalidEntry(unknown[0], f"unknown field; known: {', '.join(_REQUIRED + _OPTIONAL)}")
    for name in _REQUIRED:
        if data.get(name) is None:
            raise InvalidEntry(name, "required")
    details = data.get("details") or {}
    if not isinstance(details, dict):
        raise InvalidEntry("details", "must be an object of strings")
    entry = SyncLogEntry(
        record_id=data["record_id"], kind=_symbol(data, "kind", SyncLogKind),
        subject_id=data["subject_id"], store_id=data["store_id"],
        marketplace=data["marketplace"], status=_symbol(data, "status", SyncLogStatus),
        occurred_at=data["occurred_at"], log_time=data.get("log_time", 0),
        attempt=data.get("attempt", 1), failure_code=data.get("failure_code"),
        failure_message=data.get("failure_message"),
        details=tuple(sorted(details.items(), key=lambda item: str(item[0]))),
    )
    check_entry(entry)
    return entry


def entries_from_body(body: dict[str, Any]) -> list[SyncLogEntry]:
    """The entries of a POST /sync-logs body, every one checked; ApiError 400 naming the entry
    index and field of the first bad one."""
    unknown = sorted(set(body) - {"entries"})
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(unknown)}; give entries")
    items = body.get("entries")
    if not isinstance(items, list) or not items:
        raise ApiError(400, "entries must be a non-empty list of sync log entries")
    if len(items) > MAX_ENTRIES:
        raise ApiError(400, f"at most {MAX_ENTRIES} entries per request")
    entries = []
    for index, item in enumerate(items):
        try:
            entries.append(entry_from_json(item))
        except InvalidEntry as exc:
            raise ApiError(400, f"entries[{index}].{exc.field}: {exc.message}; nothing was "
                                "written", entry=index, field=exc.field) from None
    return entries


def resync_ask(body: dict[str, Any], now: int, tz: str) -> dict[str, Any]:
    """The local query of a re-sync body: `{"record_ids": [...]}` or `{"filter": {...}}`."""
    ids, params = bulk_request(body, query_path="/sync-logs", max_ids=MAX_RESYNC_IDS,
                               action="re-sync")
    if ids is not None:
        return {"ids": ids}
    where = log_filter_from_query(params or {}, now, tz)
    resync_selection({}, where=where)  # refuses a filter that cannot select a FAILED entry
    return {"query": log_filter_to_query(where)}


def _symbol(data: dict[str, Any], name: str, symbols: Any) -> Any:
    value = data[name]
    member = symbols.__members__.get(value.upper()) if isinstance(value, str) else None
    if member is None:
        raise InvalidEntry(name, f"one of {', '.join(symbols.__members__)}, not {value!r}")
    return member


# -- HTTP ----------------------------------------------------------------------------------------

def register_sync_log_api(app: faust.App, settings: Settings, scatter: Scatter,
                          guard: Guard) -> SyncLogTables:
    tables = register_sync_log_projection(app, settings)
    resync_topic = app.topic(settings.topic(SYNC_LOG_RESYNC.name), internal=False, **RAW)
    local = _LocalQueries(tables)
    scatter.local("sync-logs-page", tables.entries, local.entries_page)
    scatter.local("sync-log-entry", tables.entries, local.entry)
    scatter.local("sync-log-resync-selection", tables.entries, local.resync_selection)

    async def report(entries: list[SyncLogEntry]) -> None:
        """To `sync-logs` in order, each on its subject's partition; returns once all are
        written."""
        futures = [await tables.topic.send(key=e.record_id.encode(),
                                           value=encode_sync_log_entry(e),
                                           partition=entry_partition(e, settings.partitions))
                   for e in entries]
        for future in futures:
            await future

    # POST only: GET /sync-logs/resync still reaches the entry view below (aiohttp tries the
    # next route whose method matches).
    @app.page("/sync-logs/resync")
    class ResyncView(View):
        @guard.requires(Role.OPERATOR)
        @answers_errors
        async def post(self, request: Request) -> Response:
            ask = resync_ask(await json_body(request), now_ms(), settings.time_zone)
            answers = await scatter.ask(request, "sync-log-resync-selection", ask)
            selection = merge_resync_selections(_selection_from_json(a) for a in answers)
            failed = _merged(entry_from_json(e) for a in answers for e in a["entries"])
            queued = await _queue_resyncs(resync_topic, report, settings.partitions,
                                          selection.targets, failed)
            return self.json({
                "queued": queued,
                "not_retryable": [{"record_id": n.record_id, "refusal": n.refusal.value,
                                   "status": n.status, "message": n.message}
                                  for n in selection.not_retryable]})

    @app.page("/sync-logs")
    class SyncLogsView(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request: Request) -> Response:
            params = query_params(request)
            where = log_filter_from_query(params, now_ms(), settings.time_zone)
            cursor, limit = params.get("cursor"), limit_from_query(params)
            if cursor is not None:
                decode_cursor(cursor)
            answers = await scatter.ask(request, "sync-logs-page", {
                "query": log_filter_to_query(where), "cursor": cursor, "limit": limit})
            merged = merge_pages((_page_from_json(a) for a in answers), limit,
                                 combine=merge_entry)
            return self.json({"entries": [entry_json(e) for e in merged.items],
                              "next_cursor": merged.next_cursor})

        @guard.requires(Role.OPERATOR)
        @answers_errors
        async def post(self, request: Request) -> Response:
            # The log time is the broker's (LogAppendTime); this worker's clock only stands in
            # for readers of the raw topic.
            at = now_ms()
            entries = [dataclasses.replace(e, log_time=at)
                       for e in entries_from_body(await json_body(request))]
            await report(entries)
            return self.json({"accepted": len(entries),
                              "record_ids": [e.record_id for e in entries]})

    @app.page("/sync-logs/{record_id}")
    class SyncLogEntryView(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request: Request, record_id: str) -> Response:
            answers = await scatter.ask(request, "sync-log-entry", {"record_id": record_id})
            found = _merged(entry_from_json(a["entry"]) for a in answers if a["entry"])
            if record_id not in found:
                raise ApiError(404, "no such sync log entry (it may have left the history)",
                               record_id=record_id)
            return self.json(entry_json(found[record_id]))

    return tables


async def _queue_resyncs(resync_topic: Any, report: Any, partitions: int,
                         targets: tuple[ResyncTarget, ...],
                         failed: dict[str, SyncLogEntry]) -> list[dict[str, Any]]:
    """One request per target to the connectors, then its failed entries again as PENDING at
    the target's attempt, so the log shows them queued. The requests go first: if reporting
    fails, the connector still re-syncs and reports the outcome; the other way round, entries
    could wait as PENDING for a request never sent, and only FAILED ones can be re-synced."""
    batch, at = uuid.uuid4().hex[:12], now_ms()
    queued, futures, pending = [], [], []
    for n, target in enumerate(targets):
        request = ResyncRequest(f"resync-{batch}-{n}", target.kind, target.store_id,
                                target.subject_id, target.attempt, target.record_ids, at)
        key = subject_key(target.kind, target.store_id, target.subject_id)
        futures.append(await resync_topic.send(
            key=key, value=encode_resync_request(request),
            partition=subject_partition(target.kind, target.store_id, target.subject_id,
                                        partitions)))
        pending += [dataclasses.replace(failed[record_id], status=SyncLogStatus.PENDING,
                                        attempt=target.attempt, failure_code=None,
                                        failure_message=None, occurred_at=at, log_time=at)
                    for record_id in target.record_ids]
        queued.append({"request_id": request.request_id, "kind": target.kind.value,
                       "store_id": target.store_id, "subject_id": target.subject_id,
                       "attempt": target.attempt, "record_ids": list(target.record_ids)})
    for future in futures:
        await future
    await report(pending)
    return queued


class _LocalQueries:
    """Each worker's answers over its own partitions (see `Scatter.local`)."""

    def __init__(self, tables: SyncLogTables) -> None:
        self._tables = tables

    def _entries(self, partitions: list[int]) -> Iterator[SyncLogEntry]:
        for partition in partitions:
            for _, raw in partition_items(self._tables.entries, partition):
                yield decode_sync_log_entry(raw)

    def _get(self, partitions: list[int], record_id: str) -> SyncLogEntry | None:
        for partition in partitions:
            raw = partition_get(self._tables.entries, partition, record_id.encode())
            if raw is not None:
                return decode_sync_log_entry(raw)
        return None

    def _filter(self, body: dict[str, Any]) -> LogFilter:
        return log_filter_from_query(body.get("query") or {}, now_ms(), "UTC")

    def entries_page(self, body: dict[str, Any], partitions: list[int]) -> dict[str, Any]:
        found = page(self._entries(partitions), self._filter(body), body.get("cursor"),
                     int(body["limit"]))
        return {"items": [entry_json(e) for e in found.items], "next_cursor": found.next_cursor}

    def entry(self, body: dict[str, Any], partitions: list[int]) -> dict[str, Any]:
        found = self._get(partitions, str(body["record_id"]))
        return {"entry": entry_json(found) if found else None}

    def resync_selection(self, body: dict[str, Any], partitions: list[int]) -> dict[str, Any]:
        if "ids" in body:
            ids = [str(i) for i in body["ids"]]
            known = {i: e for i in ids if (e := self._get(partitions, i)) is not None}
            selection = resync_selection(known, ids=ids)
        else:
            known = {e.record_id: e for e in self._entries(partitions)}
            selection = resync_selection(known, where=self._filter(body))
        return {"targets": [{"kind": t.kind.value, "store_id": t.store_id,
                             "subject_id": t.subject_id, "record_ids": list(t.record_ids),
                             "attempt": t.attempt} for t in selection.targets],
                "not_retryable": [{"record_id": n.record_id, "refusal": n.refusal.value,
                                   "status": n.status} for n in selection.not_retryable],
                # the failed entries themselves: the re-sync reports them again as PENDING
                "entries": [entry_json(known[i]) for t in selection.targets
                            for i in t.record_ids]}


def _merged(entries: Iterator[SyncLogEntry]) -> dict[str, SyncLogEntry]:
    """Entries by record id; one that two workers served (a rebalance) merged."""
    merged: dict[str, SyncLogEntry] = {}
    for entry in entries:
        merged[entry.record_id] = merge_entry(merged.get(entry.record_id), entry)
    return merged


def _page_from_json(answer: dict[str, Any]) -> Page[SyncLogEntry]:
    return Page(tuple(entry_from_json(item) for item in answer["items"]), answer["next_cursor"])


def _selection_from_json(answer: dict[str, Any]) -> Selection[ResyncTarget]:
    return Selection(
        tuple(ResyncTarget(SyncLogKind(t["kind"]), t["store_id"], t["subject_id"],
                           tuple(t["record_ids"]), t["attempt"]) for t in answer["targets"]),
        tuple(NotRetryable(n["record_id"], Refusal(n["refusal"]), n["status"])
              for n in answer["not_retryable"]))
