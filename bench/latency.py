"""End-to-end latency from what Kafka stored: for every record a trigger made for a listing,
the time from the trigger's append to the log (the record's `log_time`) to the push command that
carries its quantity, and to the marketplace's answer (the push result).

A SKIPPED record's quantity is carried by the record that superseded it, so its latency runs to
the command of the last record of its window: the chain of `superseded_by` ends at the one kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stocksync.domain.dedup import window_start
from stocksync.domain.sync import SyncStatus
from stocksync.schemas.push_codec import decode_push_result, decode_sync_record
from stocksync.settings import Settings
from stocksync.topic_reader import read_to_end
from stocksync.topics import PUSH_COMMANDS, PUSH_RESULTS, SYNC_RECORDS


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: Iterable[float]) -> Percentiles:
        ordered = sorted(values)
        if not ordered:
            raise ValueError("no latencies measured")

        def at(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
        return cls(len(ordered), at(0.50), at(0.95), at(0.99), ordered[-1])


@dataclass(frozen=True)
class Latencies:
    to_command: Percentiles
    to_marketplace: Percentiles
    unresolved: int  # records whose carrying command or result was not found
    # From the end of a command's window to the command: the fold's part of `to_command` (the
    # rest is the window itself, up to `window_ms` for a trigger at its start).
    window_end_to_command: Percentiles | None = None


def measure_latencies(settings: Settings, event_ids: set[str]) -> Latencies:
    """Latencies of the records caused by `event_ids` (the paced traffic), read from the topics.
    Windows are aligned on log time (`stocksync.domain.dedup`): a command's window ends at the
    next multiple of `window_ms` after its record's log time."""
    log_times: dict[str, int] = {}
    superseded_by: dict[str, str] = {}
    for message in read_to_end(settings, settings.topic(SYNC_RECORDS.name), timeout_s=300):
        record = decode_sync_record(message.value)
        if record.status is SyncStatus.SKIPPED and record.superseded_by:
            superseded_by[record.record_id] = record.superseded_by
        if record.cause.event_id in event_ids:
            log_times[record.record_id] = record.log_time
    commanded: dict[str, int] = {}
    after_window: list[int] = []
    for message in read_to_end(settings, settings.topic(PUSH_COMMANDS.name), timeout_s=300):
        command = decode_sync_record(message.value)
        commanded[command.record_id] = message.timestamp
        if command.cause.event_id in event_ids:
            end = window_start(command.log_time, settings.window_ms) + settings.window_ms
            after_window.append(message.timestamp - end)
    answered = {decode_push_result(message.value).record_id: message.timestamp
                for message in read_to_end(settings, settings.topic(PUSH_RESULTS.name),
                                           timeout_s=300)}
    to_command, to_marketplace, unresolved = [], [], 0
    for record_id, log_time in log_times.items():
        kept = _kept(record_id, superseded_by)
        if kept not in commanded or kept not in answered:
            unresolved += 1
            continue
        to_command.append(commanded[kept] - log_time)
        to_marketplace.append(answered[kept] - log_time)
    return Latencies(Percentiles.of(to_command), Percentiles.of(to_marketplace), unresolved,
                     Percentiles.of(after_window) if after_window else None)


def _kept(record_id: str, superseded_by: dict[str, str]) -> str:
    seen = {record_id}
    while record_id in superseded_by:
        record_id = superseded_by[record_id]
        if record_id in seen:
            raise ValueError(f"a cycle of superseded records at {record_id}")
        seen.add(record_id)
    return record_id
