"""The connector side of a worker: push commands to marketplaces, results to `push-results`.

Every listing pushes in its own lane (`connectors/push_lanes.py`): a store that does not answer
holds its own listings' commands and nobody else's, and while it does, a newer command for one of
its listings supersedes the ones that wait (SKIPPED, superseded by it). Commands are taken without
acknowledgement and acknowledged in offset order (`streams/ordered_acks.py`), each once its outcome
is on `push-results` and `sync-records` and its listing's `last-pushed` and `push-progress` writes
are on their changelogs (`streams/push_tables.py`), so the committed offset never passes a command
in flight.
At most MAX_HELD_COMMANDS are held uncommitted; beyond, the agent takes no more until some finish.
What escapes a push (the broker refused its outcome) fails its lane; the agent then releases every
held command and, after a pause, reads its partitions again from the committed offsets.

A command delivered again (after a crash or a rebalance) is not pushed if its listing's
`push-progress` has passed its offset, nor if its record id is the listing's `last-pushed`; the
marketplace also receives the record id as idempotency key.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import faust

from stocksync.connectors.push_lanes import Job, PushLanes
from stocksync.connectors.pusher import Pusher
from stocksync.connectors.registry import connector_factory
from stocksync.domain.sync import PushCommand, PushResult, SyncRecord, SyncStatus
from stocksync.logs import get_logger
from stocksync.schemas.errors import EventDecodeError
from stocksync.schemas.push_codec import (
    decode_sync_record,
    encode_push_result,
)
from stocksync.settings import Settings
from stocksync.streams.config_follower import ConfigFollower
from stocksync.streams.event_context import event_context
from stocksync.streams.fold_io import RAW, Output, RawTopic, history_output, send_all
from stocksync.streams.in_sequence import InSequence, in_sequence_from_group
from stocksync.streams.ordered_acks import OrderedAcks, Tracked, let_go
from stocksync.streams.push_tables import PushProgress, TableLastPushed
from stocksync.streams.table_options import bytes_table
from stocksync.streams.table_writer import TableWriter
from stocksync.topics import PUSH_COMMANDS, PUSH_RESULTS, SYNC_RECORDS

log = get_logger(__name__)

PUSH_BATCH = 200
HEADER_SUPERSEDED_BY = "stocksync.superseded_by"


def register_push_agent(app: faust.App, settings: Settings,
                        secrets: Mapping[str, str]) -> ConfigFollower:
    commands = app.topic(settings.topic(PUSH_COMMANDS.name), internal=False, **RAW)
    results = RawTopic(app, settings.topic(PUSH_RESULTS.name))
    records = RawTopic(app, settings.topic(SYNC_RECORDS.name))
    last_pushed = TableLastPushed.of_app(app, settings.partitions)
    # Per listing, the offset (in push-commands) of the newest command whose outcome is on
    # push-results and sync-records: a command delivered again at or below it is not pushed.
    progress = PushProgress(
        TableWriter(bytes_table(app, "push-progress", settings.partitions), app))
    follower = ConfigFollower(settings)
    pusher = Pusher(connector_factory(secrets), last_pushed)

    @app.task
    async def follow_config() -> None:
        await follower.run()

    async def push_job(job: Job) -> None:
        tracked: Tracked = job.ticket
        record = job.record
        with event_context(tracked.event):
            result = await pusher.push(PushCommand(record),
                                       await follower.store_soon(record.store_id))
        # Every outcome is in the sync history; the log line of a success is for debugging
        # only (at 1,500 commands a second it was 4.3 % of the push application's samples).
        (log.debug if result.status is SyncStatus.SUCCESSFULLY else log.info)(
            "pushed", record_id=result.record_id, store_id=result.store_id,
            store_sku=result.store_sku, status=result.status.value, qty=result.pushed_qty,
            attempts=result.attempts,
            failure=result.failure_code.value if result.failure_code else None)
        # Acknowledged once its outcome and the listing's last push are on the broker, then its
        # progress (which, durable first, would let a redelivery skip an unlogged outcome).
        await asyncio.gather(
            send_all(result_outputs(result, record, results, records, settings.partitions)),
            last_pushed.save(tracked.partition, record.store_id, record.store_sku))
        await progress.save(tracked.partition, record, tracked.offset)
        lanes_state.acks.done(tracked)

    async def retire_jobs(jobs: Sequence[Job], by: Job) -> None:
        """Queued commands a newer one for their listing replaced while the marketplace did not
        answer: SKIPPED, superseded by it, and never pushed."""
        outputs = []
        for job in jobs:
            skipped = PushResult(
                record_id=job.record.record_id, store_id=job.record.store_id,
                store_sku=job.record.store_sku, status=SyncStatus.SKIPPED,
                pushed_qty=job.record.after_qty, attempts=0,
                completed_at=time.time_ns() // 1_000_000)
            outputs += result_outputs(skipped, job.record, results, records,
                                      settings.partitions, superseded_by=by.record.record_id)
        await send_all(outputs)
        log.info("push_superseded", store_id=by.record.store_id,
                 store_sku=by.record.store_sku, superseded=len(jobs),
                 by=by.record.record_id)
        for job in jobs:
            lanes_state.acks.done(job.ticket)

    lanes_state = _LanesState(last_pushed)
    _release_on_rebalance(app, lanes_state)
    sequence = lanes_state.sequence = in_sequence_from_group(
        app, settings, commands.get_topic_name(), "push")

    @app.agent(commands, name="push-to-marketplaces")
    async def push(stream: faust.StreamT[bytes]) -> None:
        await follower.caught_up.wait()
        acks = OrderedAcks(lambda event: event.ack(), max_held=MAX_HELD_COMMANDS)
        lanes_state.start(acks, lambda: PushLanes(push_job, retire_jobs),
                          asyncio.get_running_loop())
        watcher = asyncio.create_task(_watch(app, lanes_state, commands.get_topic_name()))
        try:
            async for events in stream.noack_take(PUSH_BATCH, settings.batch_within_s):
                for event in events:
                    if not lanes_state.takes(event, app):
                        let_go(event)  # delivered before a rebalance: delivered again after it
                        continue
                    if not await sequence.takes(event):
                        continue
                    await acks.room()
                    _dispatch(event, acks, lanes_state.lanes, progress)
        finally:
            watcher.cancel()
            if lanes_state.rewinding is not None:
                lanes_state.rewinding.cancel()
            await lanes_state.release("agent stopped")

    return follower


MAX_HELD_COMMANDS = 20_000  # delivered and not committed: beyond, the agent takes no more
RECOVER_FIRST_S = 1.0  # after a lane failure, the pause before the commands are read again
RECOVER_MAX_S = 30.0
FAILURES_FORGOTTEN_S = 120.0  # a failure this long after the last one counts as the first
REWIND_ATTEMPTS = 5  # reading the committed offsets failed: tried again after the same pause
WATCH_S = 0.1
LANES_LOG_S = 10.0


class _LanesState:
    """The agent's lanes and acknowledgements, shared with the tasks that finish its jobs and
    with the rebalance hook."""

    acks: OrderedAcks
    lanes: PushLanes  # replaced by new ones whenever the commands are released
    new_lanes: Callable[[], PushLanes]
    loop: asyncio.AbstractEventLoop | None = None
    released_generation = -1  # events of this consumer generation or older are not taken
    stopping = False
    releasing: asyncio.Task[None] | None = None
    sequence: InSequence  # set when the agent is registered
    # After a lane failure: nothing is taken until `paused_until`, then the partitions are read
    # again from the committed offsets (`rewinding`).
    failures = 0  # lane failures in a row (each followed by a longer pause)
    failed_at = float("-inf")
    paused_until = float("-inf")
    rewinding: asyncio.Task[None] | None = None

    def __init__(self, last_pushed: TableLastPushed) -> None:
        self.last_pushed = last_pushed

    def start(self, acks: OrderedAcks, new_lanes: Callable[[], PushLanes],
              loop: asyncio.AbstractEventLoop) -> None:
        self.acks, self.new_lanes, self.loop = acks, new_lanes, loop
        self.lanes = new_lanes()

    def takes(self, event: Any, app: faust.App) -> bool:
        generation = event.message.generation_id
        return (not self.stopping and generation == app.consumer_generation_id
                and (generation is None or generation > self.released_generation)
                and time.monotonic() >= self.paused_until)

    def release_soon(self, why: str) -> None:
        assert self.loop is not None
        self.releasing = self.loop.create_task(self.release(why))  # referenced until done

    async def release(self, why: str) -> None:
        """Cancel every push in flight, drop every queued command and let go of their events
        uncommitted: the group delivers them again."""
        if self.loop is None:
            return
        held = self.acks.held
        released = self.acks.release()  # first: a push that ends meanwhile acknowledges nothing
        self.sequence.forget()  # the released commands come again from the committed offset
        cancelled, self.lanes = self.lanes, self.new_lanes()  # commands taken from now on
        await cancelled.cancel_all()
        if cancelled.failure.done() and not cancelled.failure.cancelled():
            cancelled.failure.exception()  # reported by the lane; a release is its remedy too
        self.last_pushed.forget()  # puts of cancelled pushes: their commands come again
        if held:
            log.info("push_commands_released", why=why, held=held, released=released)

    async def recover(self, app: faust.App, topic: str) -> None:
        """A lane failed: something escaped a push (the broker refused or lost a write of its
        outcome), and its command cannot be acknowledged. Every held command is released;
        after a pause (doubling while failures repeat), in which nothing is taken, the commands'
        partitions are read again from the committed offsets (the tail of a partition comes
        again even though nothing follows it to reveal the gap)."""
        error = self.lanes.failure.exception()
        now = time.monotonic()
        self.failures = self.failures + 1 if now - self.failed_at < FAILURES_FORGOTTEN_S else 1
        self.failed_at = now
        pause = min(RECOVER_MAX_S, RECOVER_FIRST_S * 2 ** (self.failures - 1))
        self.paused_until = now + pause
        log.error("push_lanes_recovering", error=repr(error), failures=self.failures,
                  pause_s=pause)
        await self.release("a push lane failed")
        if self.rewinding is not None:
            self.rewinding.cancel()
        self.rewinding = asyncio.create_task(self._rewind_after(pause, app, topic))

    async def _rewind_after(self, pause: float, app: faust.App, topic: str) -> None:
        for attempt in range(1, REWIND_ATTEMPTS + 1):
            await asyncio.sleep(pause)
            try:
                await self.sequence.rewind(tp for tp in app.consumer.assignment()
                                           if tp.topic == topic)
                return
            except Exception:  # noqa: BLE001 - the broker could not be asked: again, later
                log.exception("push_commands_rewind_failed", attempt=attempt)


def _dispatch(event: Any, acks: OrderedAcks, lanes: PushLanes, progress: PushProgress) -> None:
    tracked = acks.track(event)
    try:
        record = decode_sync_record(event.message.value)
    except EventDecodeError:
        log.exception("push_command_undecodable", partition=tracked.partition,
                      offset=tracked.offset)
        acks.done(tracked)
        return
    handled = progress.get(tracked.partition, record)
    if handled is not None and tracked.offset <= handled:
        # Delivered again after a crash or a rebalance: its outcome is logged already.
        log.info("push_command_redelivered", record_id=record.record_id,
                 partition=tracked.partition, offset=tracked.offset)
        acks.done(tracked)
        return
    lanes.offer(Job(record, tracked))


def _release_on_rebalance(app: faust.App, state: _LanesState) -> None:
    """A rebalance makes faust wait until every delivered message is acknowledged before it
    hands the partitions over; a store that does not answer would hold it (and the fold with
    it) for minutes. So as soon as a rebalance starts, the push lanes are cancelled and their
    commands released uncommitted. faust calls `on_rebalance_start` on its consumer thread,
    before it revokes anything."""
    started = app.on_rebalance_start

    def on_rebalance_start() -> None:
        started()
        state.released_generation = max(state.released_generation,
                                        app.consumer_generation_id or 0)
        if state.loop is not None:
            state.loop.call_soon_threadsafe(state.release_soon, "rebalance")

    app.on_rebalance_start = on_rebalance_start  # type: ignore[method-assign]


async def _watch(app: faust.App, state: _LanesState, topic: str) -> None:
    """Releases the lanes when the worker stops (faust waits for every delivered message then
    too), recovers from a lane failure, and logs how much the lanes hold."""
    logged = time.monotonic()
    while True:
        await asyncio.sleep(WATCH_S)
        if app.should_stop:
            state.stopping = True
            await state.release("worker stopping")
            return
        if state.lanes.failure.done():
            await state.recover(app, topic)
        if time.monotonic() - logged >= LANES_LOG_S:
            logged = time.monotonic()
            if state.acks.held:
                log.info("push_lanes", held=state.acks.held, listings=state.lanes.listings,
                         running=state.lanes.running, waiting=state.lanes.waiting,
                         superseded=state.lanes.superseded, oldest=state.acks.oldest_held)


def result_outputs(result: PushResult, record: SyncRecord, results: Any,
                   records: Any, partitions: int, *,
                   superseded_by: str | None = None) -> list[Output]:
    """The result for the connector's log, and the record with its final status for the
    sync history (a later status overwrites an earlier one under the record id). A SKIPPED
    result names the record that superseded it in a header (a replay reads it there)."""
    headers = ([(HEADER_SUPERSEDED_BY, superseded_by.encode())]
               if superseded_by is not None else [])
    return [Output(results, result.record_id.encode(), encode_push_result(result), headers),
            history_output(records, with_outcome(record, result, superseded_by), partitions)]


def with_outcome(record: SyncRecord, result: PushResult,
                 superseded_by: str | None = None) -> SyncRecord:
    if result.status is SyncStatus.SUCCESSFULLY:
        return replace(record, status=SyncStatus.SUCCESSFULLY)
    if result.status is SyncStatus.SKIPPED:
        return replace(record, status=SyncStatus.SKIPPED, superseded_by=superseded_by)
    return replace(record, status=SyncStatus.FAILED, failure_code=result.failure_code,
                   failure_message=result.failure_message)
