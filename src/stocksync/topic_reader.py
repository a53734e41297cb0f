"""Reads a topic from its start to the end it has when the read begins: bounded, even while
producers keep appending (a consumer that stops "when idle" may never stop)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from stocksync.settings import Settings


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    """Partition -> the offset the next message appended to it will get."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
    try:
        partitions = [TopicPartition(topic, p)
                      for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return {tp.partition: end for tp, end in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def read_to_end(settings: Settings, topic: str, partitions: Iterable[int] | None = None,
                timeout_s: float = 30.0) -> list[ConsumerRecord]:
    """Every record of `topic` (or of some of its partitions) up to its current end, in
    partition then offset order."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                             enable_auto_commit=False)
    try:
        deadline = time.monotonic() + timeout_s
        known = consumer.partitions_for_topic(topic)
        while not known:
            # A topic created a moment ago may not be in the metadata yet.
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {topic} is not in the cluster's metadata")
            time.sleep(0.2)
            consumer.topics()  # refreshes the metadata
            known = consumer.partitions_for_topic(topic)
        numbers = sorted(partitions if partitions is not None else known)
        assigned = [TopicPartition(topic, p) for p in numbers]
        consumer.assign(assigned)
        consumer.seek_to_beginning(*assigned)
        ends = consumer.end_offsets(assigned)
        records: list[ConsumerRecord] = []
        while any(consumer.position(tp) < ends[tp] for tp in assigned):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end within {timeout_s}s")
            for tp, batch in consumer.poll(timeout_ms=500).items():
                records += [record for record in batch if record.offset < ends[tp]]
        return sorted(records, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()
