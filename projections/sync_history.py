"""The sync history as the `sync-records` topic tells it: every record by id, with its latest
status. Several writers report on one record (the fold: PENDING or SKIPPED; the connector: the
outcome), and their messages may land in either order, so statuses merge by precedence."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

from kafka import KafkaConsumer, TopicPartition

from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.schemas.push_codec import decode_sync_record
from stocksync.settings import Settings
from stocksync.topics import SYNC_RECORDS

# An outcome is final; PENDING only replaces nothing.
_PRECEDENCE = {SyncStatus.PENDING: 0, SyncStatus.SKIPPED: 1, SyncStatus.FAILED: 2,
               SyncStatus.SUCCESSFULLY: 2}


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
    topic = settings.topic(SYNC_RECORDS.name)
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                             enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends: Mapping[TopicPartition, int] = consumer.end_offsets(partitions)
        deadline = time.monotonic() + timeout_s
        records: list[SyncRecord] = []
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end in {timeout_s}s")
            for batch in consumer.poll(timeout_ms=500).values():
                records += [decode_sync_record(r.value) for r in batch if r.value is not None]
        return merge_all(records)
    finally:
        consumer.close()
