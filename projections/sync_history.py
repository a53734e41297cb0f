"""The sync history as the `sync-records` topic tells it: every record by id, with its latest
status. Several writers report on one record (the fold: PENDING or SKIPPED; the connector: the
outcome), and their messages may land in either order, so statuses merge by precedence."""

from __future__ import annotations

from collections.abc import Iterable

from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.schemas.push_codec import decode_sync_record
from stocksync.settings import Settings
from stocksync.topic_reader import read_to_end
from stocksync.topics import SYNC_RECORDS

# An outcome is final; PENDING only replaces nothing. A record reported both ways (a command
# redelivered after a crash) counts as pushed: the marketplace did apply it once. So the merge
# does not depend on the order the reports arrive in.
_PRECEDENCE = {SyncStatus.PENDING: 0, SyncStatus.SKIPPED: 1, SyncStatus.FAILED: 2,
               SyncStatus.SUCCESSFULLY: 3}


def merge(existing: SyncRecord | None, update: SyncRecord) -> SyncRecord:
    """The record after `update`: a status of lower precedence never replaces a higher one."""
    if existing is None or _PRECEDENCE[update.status] >= _PRECEDENCE[existing.status]:
        return update
    return existing


def merge_all(records: Iterable[SyncRecord]) -> dict[str, SyncRecord]:
    merged: dict[str, SyncRecord] = {}
    for record in records:
        merged[record.record_id] = merge(merged.get(record.record_id), record)
    return merged


def read_sync_records(settings: Settings, timeout_s: float = 30.0) -> dict[str, SyncRecord]:
    """Every record of the topic, read from its start to its end, merged by id."""
    return merge_all(decode_sync_record(r.value) for r in
                     read_to_end(settings, settings.topic(SYNC_RECORDS.name), timeout_s=timeout_s)
                     if r.value is not None)
