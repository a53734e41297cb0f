"""`stocksync replay`: rebuild every table and projection from the log into a new application.

The replay runs ordinary workers under a new app id with `replay` set (settings.py): they read
the log topics (stock-events, with the configuration snapshots in it, push-results, sync-logs)
and write only topics and state of their own, so the live application is never touched. The
run is over when the replay's consumer group has committed every stock-events offset that
existed when it began and nothing it derived waits to be consumed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient

from stocksync.kafka_security import client_options
from stocksync.settings import Settings
from stocksync.streams.auth import parse_tokens
from stocksync.topic_admin import create_topics
from stocksync.topic_reader import end_offsets, group_offsets
from stocksync.topics import PUSH_COMMANDS, STOCK_EVENTS, SYNC_LOGS, SYNC_RECORDS
from stocksync.worker_process import WorkerProcess

APP_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
POLL_S = 0.5
# Derived topics must show no lag on this many polls in a row: a window closed by the last
# poll's idle tick may have sent a command the next poll sees.
SETTLED_POLLS = 3


class ReplayError(RuntimeError):
    """The replay cannot start or did not finish; the message says why."""


@dataclass(frozen=True)
class Progress:
    done: int  # stock-events messages the replay has committed
    total: int  # what the log held when the replay began
    seconds: float

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        return (self.total - self.done) / self.rate if self.rate > 0 else None


@dataclass(frozen=True)
class ReplaySummary:
    app_id: str
    events: int
    seconds: float
    workers: int


def replay_settings(live: Settings, app_id: str, until_ms: int | None = None) -> Settings:
    """The settings of replay `app_id` of the `live` application; its state lives in its own
    folder of the live home."""
    if not APP_ID.match(app_id):
        raise ReplayError(f"--app-id {app_id!r}: letters, digits, '.', '_' and '-' only")
    if app_id == live.app_id:
        raise ReplayError(f"--app-id {app_id} is the live application's id: a replay needs an "
                          "id of its own")
    return live.for_app(app_id).with_overrides(
        replay_until_ms=until_ms, agents="fold,push,history",
        home=live.home / "replays" / app_id)


def run_replay(live: Settings, app_id: str, *, until_ms: int | None = None, workers: int = 1,
               timeout_s: float = 24 * 3600.0,
               on_progress: Callable[[Progress], None] = lambda progress: None,
               on_phase: Callable[[str], None] = lambda phase: None) -> ReplaySummary:
    settings = replay_settings(live, app_id, until_ms)
    settings.home.mkdir(parents=True, exist_ok=True)
    create_topics(settings)
    source = settings.topic(STOCK_EVENTS.name)
    targets = end_offsets(settings, source)
    token = _a_token(settings)
    processes = [WorkerProcess.in_home(str(n), settings, token=token) for n in range(workers)]
    started = time.monotonic()
    deadline = started + timeout_s
    admin = KafkaAdminClient(**client_options(settings))
    try:
        on_phase(f"starting {workers} replay worker{'s' if workers > 1 else ''}")
        for process in processes:
            process.start()
        for process in processes:
            process.wait_until_serving(timeout_s=max(1.0, deadline - time.monotonic()))
        on_phase(f"folding {sum(targets.values()):,} messages of {source}")
        while True:
            committed = _committed(admin, app_id, source)
            done = sum(min(committed.get(p, 0), end) for p, end in targets.items())
            on_progress(Progress(done, sum(targets.values()), time.monotonic() - started))
            if all(committed.get(p, 0) >= end for p, end in targets.items()):
                break
            _check(processes, deadline, "the fold to reach the end of the log")
            time.sleep(POLL_S)
        on_phase("closing windows, replaying outcomes and projections")
        derived = [settings.topic(name) for name in
                   (PUSH_COMMANDS.name, SYNC_RECORDS.name, SYNC_LOGS.name)]
        settled = 0
        while settled < SETTLED_POLLS:
            _check(processes, deadline, "the replay to settle")
            time.sleep(POLL_S)
            settled = settled + 1 if _settled(settings, admin, app_id, derived, processes) else 0
        return ReplaySummary(app_id, sum(targets.values()), time.monotonic() - started, workers)
    finally:
        admin.close()
        for process in processes:
            process.stop()


def _a_token(settings: Settings) -> str | None:
    """A token the replay's own polls of its workers may use (any role reads /stats)."""
    tokens = parse_tokens(settings.api_tokens)
    return tokens.entries[0][1].decode() if tokens.enabled else None


def _committed(admin: KafkaAdminClient, group: str, topic: str) -> dict[int, int]:
    offsets = group_offsets(admin, group)
    return {tp.partition: meta.offset for tp, meta in offsets.items()
            if tp.topic == topic and meta.offset >= 0}


def _settled(settings: Settings, admin: KafkaAdminClient, group: str, topics: Iterable[str],
             processes: list[WorkerProcess]) -> bool:
    for process in processes:
        stats = process.stats()
        # Windows still open at the end of the log stay open: they were open in the live
        # application too when the log ended there (it closes them with a tick, in the log).
        if not stats.get("ready"):
            return False
    for topic in topics:
        committed = _committed(admin, group, topic)
        for partition, end in end_offsets(settings, topic).items():
            if committed.get(partition, 0) < end:
                return False
    return True


def _check(processes: list[WorkerProcess], deadline: float, what: str) -> None:
    for process in processes:
        if not process.alive():
            raise ReplayError(f"replay worker {process.name} exited:\n{process.log_tail()}")
    if time.monotonic() > deadline:
        raise ReplayError(f"timed out waiting for {what}")
