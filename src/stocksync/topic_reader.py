"""Reads a topic from its start to the end it has when the read begins: bounded, even while
producers keep appending (a consumer that stops "when idle" may never stop)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from stocksync.kafka_security import client_options
from stocksync.settings import Settings


def reader_options(settings: Settings) -> dict[str, Any]:
    """A kafka-python consumer's options for reading the log as the agents do: committed
    records only (an upstream producer's aborted transactions never happened; without
    transactions this is every record), up to the last stable offset."""
    return {**client_options(settings), "isolation_level": "read_committed"}


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    """Partition -> the offset the next message appended to it will get."""
    consumer = KafkaConsumer(**client_options(settings))
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return {tp.partition: end for tp, end in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def group_offsets(admin: KafkaAdminClient, group: str) -> dict[TopicPartition, Any]:
    """The group's committed offsets (OffsetAndMetadata) by partition, in either kafka-python."""
    if hasattr(admin, "list_group_offsets"):  # kafka-python 3
        return admin.list_group_offsets({group: None}).get(group, {})
    return admin.list_consumer_group_offsets(group)


def start_offsets(settings: Settings, group: str, topic: str) -> dict[int, int]:
    """Partition -> where `group` reads `topic` from next: its committed offset, or the log's
    start where it committed nothing (or what it committed was deleted since)."""
    admin = KafkaAdminClient(**client_options(settings))
    consumer = KafkaConsumer(**client_options(settings))
    try:
        committed = {tp.partition: meta.offset for tp, meta in group_offsets(admin, group).items()
                     if tp.topic == topic and meta.offset >= 0}
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        starts = consumer.beginning_offsets(partitions)
    finally:
        admin.close()
        consumer.close()
    return {tp.partition: max(committed.get(tp.partition, start), start)
            for tp, start in starts.items()}


def read_to_end(settings: Settings, topic: str, partitions: Iterable[int] | None = None,
                timeout_s: float = 30.0) -> list[ConsumerRecord]:
    """Every record of `topic` (or of some of its partitions) up to its current end, in
    partition then offset order."""
    return sorted(iter_records(settings, topic, partitions, timeout_s=timeout_s),
                  key=lambda r: (r.partition, r.offset))


def existing_offsets(settings: Settings, topic: str, partition: int, start: int, *,
                     limit: int = 10_000, timeout_s: float = 10.0) -> tuple[list[int], int]:
    """The offsets that hold a record an agent is handed, in one partition from `start` on, at
    most `limit` of them, and the offset up to which that list is complete. Compaction,
    retention, transaction markers and aborted transactions leave offsets without one (the
    agents read committed records only, as this does)."""
    tp = TopicPartition(topic, partition)
    consumer = KafkaConsumer(**reader_options(settings), enable_auto_commit=False,
                             max_poll_records=limit)
    try:
        consumer.assign([tp])
        end = consumer.end_offsets([tp])[tp]
        consumer.seek(tp, start)
        found: list[int] = []
        deadline = time.monotonic() + timeout_s
        while consumer.position(tp) < end and len(found) < limit:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic}[{partition}] made no progress "
                                   f"within {timeout_s}s")
            for record in consumer.poll(timeout_ms=500).get(tp, []):
                if record.offset < end and len(found) < limit:
                    found.append(record.offset)
        complete_to = end if len(found) < limit else found[-1] + 1
        return found, max(complete_to, start)
    finally:
        consumer.close()


def iter_records(settings: Settings, topic: str, partitions: Iterable[int] | None = None, *,
                 until_ms: int | None = None,
                 timeout_s: float = 30.0) -> Iterator[ConsumerRecord]:
    """The records of `topic` (or of some of its partitions) from their start up to the end
    each has when the read begins, or with `until_ms` only those appended before the first
    record whose timestamp is later than `until_ms` (the log up to that instant). In offset
    order per partition; partitions interleave. TimeoutError when the read makes no progress
    for `timeout_s`."""
    consumer = KafkaConsumer(**reader_options(settings), enable_auto_commit=False)
    try:
        known = _partitions_of(consumer, topic, timeout_s)
        numbers = sorted(partitions if partitions is not None else known)
        assigned = [TopicPartition(topic, p) for p in numbers]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = _bounds(consumer, assigned, until_ms)
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < ends[tp] for tp in assigned):
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} made no progress within {timeout_s}s")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                deadline = time.monotonic() + timeout_s
                yield from (record for record in batch if record.offset < ends[tp])
    finally:
        consumer.close()


def _partitions_of(consumer: KafkaConsumer, topic: str, timeout_s: float) -> set[int]:
    deadline = time.monotonic() + timeout_s
    known = consumer.partitions_for_topic(topic)
    while not known:
        # A topic created a moment ago may not be in the metadata yet.
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {topic} is not in the cluster's metadata")
        time.sleep(0.2)
        consumer.topics()  # refreshes the metadata
        known = consumer.partitions_for_topic(topic)
    return known


def _bounds(consumer: KafkaConsumer, assigned: list[TopicPartition],
            until_ms: int | None) -> dict[TopicPartition, int]:
    """Per partition, the offset the read stops before: its end now, or the first offset logged
    after `until_ms` (the broker's time index answers that without reading the log)."""
    ends = consumer.end_offsets(assigned)
    if until_ms is None:
        return ends
    later = consumer.offsets_for_times({tp: until_ms + 1 for tp in assigned})
    return {tp: ends[tp] if later.get(tp) is None else min(ends[tp], later[tp].offset)
            for tp in assigned}
