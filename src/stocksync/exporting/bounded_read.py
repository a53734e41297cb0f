"""The messages of one topic whose timestamps fall in a time range, read up to the end each
partition had when the read began (producers that keep appending never prolong it).

Each partition starts at the first offset whose timestamp reaches `since` (the broker's time index
answers that). On a topic whose timestamps are the broker's append times, they never decrease, so
the read also stops at the first offset that reaches `until`; elsewhere a producer's clock may go
back, so the read goes to the end and leaves out what is outside the range. Partitions are read one
after the other, each in offset order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from stocksync.topic_reader import reader_options
from stocksync.projections.time_ranges import TimeRange
from stocksync.settings import Settings


class TopicMissing(LookupError):
    """The topic does not exist in the cluster."""


class BoundedRead:
    """Plans the read when opened: `total` is known before the first message is read."""

    def __init__(self, settings: Settings, topic: str, window: TimeRange, *,
                 append_time: bool, stall_timeout_s: float = 30.0) -> None:
        self.topic = topic
        self.window = window
        self._stall_timeout_s = stall_timeout_s
        self._consumer = KafkaConsumer(**reader_options(settings), enable_auto_commit=False)
        try:
            known = self._consumer.partitions_for_topic(topic)
            if not known:
                raise TopicMissing(f"topic {topic} does not exist in the cluster at "
                                   f"{settings.kafka_bootstrap_servers}")
            self.partitions = len(known)
            self._starts, self._stops = self._plan(sorted(known), append_time)
        except BaseException:
            self._consumer.close()
            raise

    @property
    def total(self) -> int:
        """How many offsets the read goes through (compaction can leave some empty)."""
        return sum(self._stops[p] - self._starts[p] for p in self._starts)

    def _plan(self, partitions: list[int], append_time: bool
              ) -> tuple[dict[int, int], dict[int, int]]:
        tps = [TopicPartition(self.topic, p) for p in partitions]
        ends = self._consumer.end_offsets(tps)
        starts = self._at_or_after(self.window.since, ends) if self.window.since is not None \
            else self._consumer.beginning_offsets(tps)
        stops = ends
        if append_time and self.window.until is not None:
            stops = self._at_or_after(self.window.until, ends)
        return ({tp.partition: starts[tp] for tp in tps},
                {tp.partition: max(starts[tp], stops[tp]) for tp in tps})

    def _at_or_after(self, ms: int, ends: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
        """Per partition, the first offset whose timestamp is `ms` or later (the end if none)."""
        found = self._consumer.offsets_for_times({tp: ms for tp in ends})
        return {tp: ends[tp] if found.get(tp) is None else min(found[tp].offset, ends[tp])
                for tp in ends}

    def records(self, progress: Callable[[int], None] = lambda advanced: None
                ) -> Iterator[ConsumerRecord]:
        """The records in the range, partition by partition; `progress` gets how many offsets
        each poll went through."""
        for partition, start in self._starts.items():
            stop = self._stops[partition]
            if start < stop:
                yield from self._partition(TopicPartition(self.topic, partition), start, stop,
                                           progress)

    def _partition(self, tp: TopicPartition, start: int, stop: int,
                   progress: Callable[[int], None]) -> Iterator[ConsumerRecord]:
        self._consumer.assign([tp])
        self._consumer.seek(tp, start)
        done = start
        stalled_since = time.monotonic()
        while done < stop:
            batch = self._consumer.poll(timeout_ms=500).get(tp, [])
            yield from (record for record in batch
                        if record.offset < stop and record.timestamp in self.window)
            position = min(self._consumer.position(tp), stop)
            if position > done:
                progress(position - done)
                done, stalled_since = position, time.monotonic()
            elif time.monotonic() - stalled_since > self._stall_timeout_s:
                raise TimeoutError(f"reading {self.topic} partition {tp.partition} made no "
                                   f"progress for {self._stall_timeout_s}s at offset {done}")

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self) -> BoundedRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
