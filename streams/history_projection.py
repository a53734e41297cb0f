"""Projects the sync history (`sync-records`, on the merchant SKU's partition) into three tables:
every record by id, the Sync Recording row of each merchant SKU and the Push Record page of each
listing. All three sit on the partitions of `sync-records`, so one worker holds a merchant SKU's
records and views, and each is restored from its changelog and rebuildable from `sync-records`
alone: applying a record twice, or records out of order, gives the same views (projections.views).
Records are applied a batch at a time (`project_batch`), below faust's per-key table path
(`TableWriter`), each view read and written once per batch.

Retention: records older than the retention are not applied (a replay would bring them back), and
a timer drops them from the views of this worker's partitions.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import faust

from stocksync.domain.sync import SyncRecord
from stocksync.logs import get_logger
from stocksync.projections.sync_history import merge
from stocksync.projections.view_codec import (
    decode_listing_history,
    decode_sku_summary,
    encode_listing_history,
    encode_sku_summary,
)
from stocksync.projections.views import (
    ListingHistory,
    SkuSummary,
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
from stocksync.streams.fold_io import RAW, PartitionEvent, listing_key
from stocksync.streams.in_sequence import in_sequence_from_group
from stocksync.streams.table_options import bytes_table
from stocksync.streams.table_scan import partition_get, partition_keys_from, prune_on_timer
from stocksync.streams.table_writer import TableWriter
from stocksync.topics import SYNC_RECORDS

log = get_logger(__name__)

T = TypeVar("T")
TABLES = ("records", "summaries", "listings", "by_time")  # HistoryTables' fields


@dataclass(frozen=True)
class HistoryTables:
    records: Any  # record id -> SyncRecord (merged)
    summaries: Any  # merchant SKU -> SkuSummary
    listings: Any  # listing_key(store id, store SKU) -> ListingHistory
    by_time: Any  # time_key(prefix, log time, record id) -> b"": records in paging order
    source_topic: str  # sync-records: the tables' writes go to its partitions


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
        return bytes_table(app, name, settings.partitions)

    tables = HistoryTables(records=table("history-records"), summaries=table("sync-recording"),
                           listings=table("push-records"), by_time=table("history-by-time"),
                           source_topic=source.get_topic_name())
    limit = settings.history_listing_limit

    writers = {name: TableWriter(getattr(tables, name), app) for name in TABLES}
    sequence = in_sequence_from_group(app, settings, source.get_topic_name(), "history")

    @app.agent(source, name="project-history")
    async def project_history(stream: faust.StreamT[bytes]) -> None:
        async for events in stream.take_events(settings.batch_size, settings.batch_within_s):
            cutoff = retention_cutoff(now_ms(), settings.history_retention_ms)
            taken = [event for event in events if await sequence.takes(event)]
            for partition, records in _records_by_partition(taken, cutoff).items():
                writes = project_batch(
                    lambda name, key, p=partition: writers[name].get(p, key), records, limit)
                # The indexes and views first, the records last: a record that is stored has
                # its index entries, so its redelivery may skip them.
                await asyncio.gather(*(writers[name].write(partition, writes[name])
                                       for name in TABLES if name != "records"))
                await writers["records"].write(partition, writes["records"])

    prune_on_timer(app, settings.history_prune_interval_s, settings.history_retention_ms,
                   tables.records, lambda partition, cutoff: prune_partition(
                       tables, partition, cutoff), "history_pruned")

    return tables


def _records_by_partition(events: Sequence[Any], cutoff: int) -> dict[int, list[SyncRecord]]:
    """The batch's records per partition, in log order; those logged before `cutoff` are
    already out of the history (a replay, or a late outcome)."""
    found: dict[int, list[SyncRecord]] = {}
    for event in events:
        if event.message.value is None:
            continue
        try:
            record = decode_sync_record(event.message.value)
        except EventDecodeError:
            log.exception("sync_record_undecodable", offset=event.message.offset)
            continue
        if record.log_time >= cutoff:
            found.setdefault(event.message.partition, []).append(record)
    return found


def project_batch(read: Callable[[str, bytes], bytes | None], records: Iterable[SyncRecord],
                  limit: int) -> dict[str, list[tuple[bytes, bytes]]]:
    """What `records` (one partition's, in log order) change in the four tables, as
    (key, value) writes per table name; `read(table name, key)` gives a stored value.

    Each view is read, decoded and encoded once per batch however many of the records it
    takes: a hot listing's Push Record page (its latest `limit` records) is not re-encoded
    for each one.
    """
    merged: dict[bytes, SyncRecord] = {}
    summaries: dict[bytes, SkuSummary] = {}
    listings: dict[bytes, ListingHistory] = {}
    index: list[tuple[bytes, bytes]] = []
    for record in records:
        key = record.record_id.encode()
        current = merged.get(key) or _decoded(read("records", key), decode_sync_record)
        if current is None:  # a record's log time never changes: one entry per index
            index.append((time_key(record.log_time, record.record_id), b""))
            index.append((time_key(record.log_time, record.record_id,
                                   sku_prefix(record.merchant_sku)), b""))
        merged[key] = merge(current, record)
        key = record.merchant_sku.encode()
        summaries[key] = apply_to_summary(
            summaries[key] if key in summaries else _decoded(read("summaries", key),
                                                             decode_sku_summary), record)
        key = listing_key(record.store_id, record.store_sku)
        listings[key] = apply_to_listing(
            listings[key] if key in listings else _decoded(read("listings", key),
                                                           decode_listing_history),
            record, limit)
    return {"records": [(k, encode_sync_record(v)) for k, v in merged.items()],
            "summaries": [(k, encode_sku_summary(v)) for k, v in summaries.items()],
            "listings": [(k, encode_listing_history(v)) for k, v in listings.items()],
            "by_time": index}


def _decoded(raw: bytes | None, decode: Callable[[bytes], T]) -> T | None:
    return None if raw is None else decode(raw)


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
