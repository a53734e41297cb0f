"""Projects the sync history (`sync-records`, on the merchant SKU's partition) into three tables:
every record by id, the Sync Recording row of each merchant SKU and the Push Record page of each
listing. All three sit on the partitions of `sync-records`, so one worker holds a merchant SKU's
records and views, and each is restored from its changelog and rebuildable from `sync-records`
alone: applying a record twice, or records out of order, gives the same views (projections.views).

Retention: records older than the retention are not applied (a replay would bring them back), and
a timer drops them from the views of this worker's partitions.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import faust

from stocksync.logs import get_logger
from stocksync.projections.sync_history import merge
from stocksync.projections.view_codec import (
    decode_listing_history,
    decode_sku_summary,
    encode_listing_history,
    encode_sku_summary,
)
from stocksync.projections.views import (
    apply_to_listing,
    apply_to_summary,
    prune_listing,
    prune_summary,
    retention_cutoff,
)
from stocksync.schemas.errors import EventDecodeError
from stocksync.schemas.push_codec import decode_sync_record, encode_sync_record
from stocksync.settings import Settings
from stocksync.streams.event_context import event_context
from stocksync.streams.fold_io import RAW, PartitionEvent
from stocksync.streams.table_scan import partition_get, partition_keys_from, prune_on_timer
from stocksync.topics import SYNC_RECORDS

log = get_logger(__name__)


@dataclass(frozen=True)
class HistoryTables:
    records: Any  # record id -> SyncRecord (merged)
    summaries: Any  # merchant SKU -> SkuSummary
    listings: Any  # listing_key(store id, store SKU) -> ListingHistory
    by_time: Any  # time_key(prefix, log time, record id) -> b"": records in paging order
    source_topic: str  # sync-records: the tables' writes go to its partitions


def listing_key(store_id: str, store_sku: str) -> bytes:
    return f"{store_id}\x00{store_sku}".encode()


TIME_PREFIX = b"t"  # every record of the partition


def sku_prefix(merchant_sku: str) -> bytes:
    """The index of one merchant SKU's records (length-prefixed: no SKU is another's prefix)."""
    sku = merchant_sku.encode()
    return b"s" + len(sku).to_bytes(2, "big") + sku


def time_key(log_time: int, record_id: str, prefix: bytes = TIME_PREFIX) -> bytes:
    """Sorts as (log_time, record_id) does within `prefix`: big-endian time, then the id."""
    return prefix + log_time.to_bytes(8, "big") + record_id.encode()


def time_key_parts(key: bytes, prefix: bytes = TIME_PREFIX) -> tuple[int, str]:
    start = len(prefix)
    return int.from_bytes(key[start:start + 8], "big"), key[start + 8:].decode()


def now_ms() -> int:
    return int(time.time() * 1000)


def register_history_projection(app: faust.App, settings: Settings) -> HistoryTables:
    source = app.topic(settings.topic(SYNC_RECORDS.name), internal=False, **RAW)

    def table(name: str) -> Any:
        return app.Table(name, partitions=settings.partitions, key_type=bytes, value_type=bytes)

    tables = HistoryTables(records=table("history-records"), summaries=table("sync-recording"),
                           listings=table("push-records"), by_time=table("history-by-time"),
                           source_topic=source.get_topic_name())
    limit = settings.history_listing_limit

    @app.agent(source, name="project-history")
    async def project_history(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if event.message.value is None:
                continue
            try:
                record = decode_sync_record(event.message.value)
            except EventDecodeError:
                log.exception("sync_record_undecodable", offset=event.message.offset)
                continue
            if record.log_time < retention_cutoff(now_ms(), settings.history_retention_ms):
                continue  # already out of the history (a replay, or a late outcome)
            apply_record(tables, record, limit)

    prune_on_timer(app, settings.history_prune_interval_s, settings.history_retention_ms,
                   tables.records, lambda partition, cutoff: prune_partition(
                       tables, partition, cutoff), "history_pruned")

    return tables


def apply_record(tables: HistoryTables, record: Any, limit: int) -> None:
    """One record into the three tables, in the current event's partition."""
    key = record.record_id.encode()
    raw = tables.records.get(key)
    tables.records[key] = encode_sync_record(
        merge(decode_sync_record(raw) if raw else None, record))
    if raw is None:  # a record's log time never changes: one entry per index and record
        tables.by_time[time_key(record.log_time, record.record_id)] = b""
        tables.by_time[time_key(record.log_time, record.record_id,
                                sku_prefix(record.merchant_sku))] = b""
    key = record.merchant_sku.encode()
    raw = tables.summaries.get(key)
    tables.summaries[key] = encode_sku_summary(
        apply_to_summary(decode_sku_summary(raw) if raw else None, record))
    key = listing_key(record.store_id, record.store_sku)
    raw = tables.listings.get(key)
    tables.listings[key] = encode_listing_history(
        apply_to_listing(decode_listing_history(raw) if raw else None, record, limit))


def prune_partition(tables: HistoryTables, partition: int, cutoff: int) -> int:
    """Drops what was logged before `cutoff` from one partition's views; how many records.
    Reads only the expired records (from the front of the time index) and the views they are
    in: the cost follows what expires, not the size of the history."""
    expired = [(key, *time_key_parts(key)) for key in itertools.takewhile(
        lambda key: key < time_key(cutoff, ""),
        partition_keys_from(tables.by_time, partition, TIME_PREFIX))]
    records = [decode_sync_record(raw) for _, _, record_id in expired
               if (raw := partition_get(tables.records, partition, record_id.encode()))]
    summaries = {r.merchant_sku.encode() for r in records}
    listings = {listing_key(r.store_id, r.store_sku) for r in records}
    with event_context(PartitionEvent(tables.source_topic, partition)):  # type: ignore[arg-type]
        for record in records:
            del tables.by_time[time_key(record.log_time, record.record_id,
                                        sku_prefix(record.merchant_sku))]
            del tables.records[record.record_id.encode()]
        for key, _, _ in expired:
            del tables.by_time[key]
        for key in summaries:
            _prune_view(tables.summaries, partition, key, cutoff, decode_sku_summary,
                        prune_summary, encode_sku_summary)
        for key in listings:
            _prune_view(tables.listings, partition, key, cutoff, decode_listing_history,
                        prune_listing, encode_listing_history)
    return len(expired)


def _prune_view(table: Any, partition: int, key: bytes, cutoff: int, decode: Any, prune: Any,
                encode: Any) -> None:
    raw = partition_get(table, partition, key)
    if raw is None:
        return
    view = decode(raw)
    kept = prune(view, cutoff)
    if kept is None:
        del table[key]
    elif kept != view:
        table[key] = encode(kept)
