"""Projects the other sync logs (`sync-logs`: product, order, customer and refund syncs, on their
subject's partition) into one table, every entry by record id, merged with `merge_entry` so that
a record shows its latest attempt and status whatever order the updates arrive in. The table sits
on the partitions of `sync-logs`, is restored from its changelog and rebuildable from the topic.

Log time: `sync-logs` has `message.timestamp.type=LogAppendTime`, so a message's timestamp is
when it reached the log; it replaces the entry's own `log_time` (a reporter's clock), and a
replay reads the same timestamps back. Retention as for sync records: entries older than the
history retention are not applied, and a timer drops them from this worker's partitions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import faust

from stocksync.logs import get_logger
from stocksync.projections.sync_logs import SyncLogEntry, merge_entry
from stocksync.projections.view_codec import decode_sync_log_entry, encode_sync_log_entry
from stocksync.projections.views import retention_cutoff
from stocksync.schemas.errors import EventDecodeError
from stocksync.settings import Settings
from stocksync.streams.event_context import event_context
from stocksync.streams.fold_io import RAW, PartitionEvent
from stocksync.streams.history_projection import now_ms
from stocksync.streams.in_sequence import in_sequence_from_group
from stocksync.streams.table_options import bytes_table
from stocksync.streams.table_scan import partition_items, prune_on_timer
from stocksync.topics import SYNC_LOGS

log = get_logger(__name__)


@dataclass(frozen=True)
class SyncLogTables:
    entries: Any  # record id -> SyncLogEntry (merged), Avro bytes
    topic: Any  # sync-logs: the agent's source, and where the API reports entries
    source_topic: str  # its name: the table's writes go to its partitions


def register_sync_log_projection(app: faust.App, settings: Settings) -> SyncLogTables:
    source = app.topic(settings.topic(SYNC_LOGS.name), internal=False, **RAW)
    tables = SyncLogTables(
        entries=bytes_table(app, "sync-log-entries", settings.partitions),
        topic=source, source_topic=source.get_topic_name())

    until = settings.replay_until_ms
    sequence = in_sequence_from_group(app, settings, source.get_topic_name(), "sync-logs")

    @app.agent(source, name="project-sync-logs")
    async def project_sync_logs(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            if not await sequence.takes(event) or event.message.value is None:
                continue
            try:
                entry = logged_entry(decode_sync_log_entry(event.message.value),
                                     event.message.timestamp)
            except EventDecodeError:
                log.exception("sync_log_entry_undecodable", partition=event.message.partition,
                              offset=event.message.offset)
                continue
            if entry.log_time < retention_cutoff(now_ms(), settings.history_retention_ms):
                continue  # already out of the history (a replay)
            if until is not None and entry.log_time > until:
                continue  # a replay's --until
            apply_entry_to_table(tables, entry)

    prune_on_timer(app, settings.history_prune_interval_s, settings.history_retention_ms,
                   tables.entries, lambda partition, cutoff: prune_partition(
                       tables, partition, cutoff), "sync_logs_pruned")

    return tables


def logged_entry(entry: SyncLogEntry, timestamp_s: float | None) -> SyncLogEntry:
    """`entry` with the log time of its message (faust gives seconds, as a float)."""
    if timestamp_s is None:
        return entry
    return dataclasses.replace(entry, log_time=int(round(timestamp_s * 1000)))


def apply_entry_to_table(tables: SyncLogTables, entry: SyncLogEntry) -> None:
    """One update of an entry into the table, in the current event's partition."""
    key = entry.record_id.encode()
    raw = tables.entries.get(key)
    tables.entries[key] = encode_sync_log_entry(
        merge_entry(decode_sync_log_entry(raw) if raw else None, entry))


def prune_partition(tables: SyncLogTables, partition: int, cutoff: int) -> int:
    """Drops the entries logged before `cutoff` from one partition; how many."""
    old = [key for key, raw in partition_items(tables.entries, partition)
           if decode_sync_log_entry(raw).log_time < cutoff]
    with event_context(PartitionEvent(tables.source_topic, partition)):  # type: ignore[arg-type]
        for key in old:
            del tables.entries[key]
    return len(old)
