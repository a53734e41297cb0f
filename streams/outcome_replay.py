"""A replay's push side: outcomes come from the log (`push-results`), marketplaces are never
asked again.

The replay's fold emits push commands to the replay's own topic. For each, this agent looks up
the outcome the live application's connectors logged for that record id, and writes what the
live push agent wrote for it: the record with its final status to the replay's sync-records,
and the listing's last successful push to the replay's `last-pushed` table. A command with no
logged outcome stays PENDING, as it was in the live application when the replay read the log.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust

from stocksync.connectors.last_pushed import LastPush
from stocksync.domain.sync import PushResult, SyncStatus
from stocksync.logs import get_logger
from stocksync.schemas.errors import EventDecodeError
from stocksync.schemas.push_codec import decode_push_result, decode_sync_record
from stocksync.settings import Settings
from stocksync.streams.event_context import event_context
from stocksync.streams.fold_io import RAW, Output, RawTopic, history_output, send_all
from stocksync.streams.push_agent import (
    HEADER_SUPERSEDED_BY,
    PUSH_BATCH,
    with_outcome,
)
from stocksync.streams.in_sequence import in_sequence_from_group
from stocksync.streams.push_tables import TableLastPushed
from stocksync.topic_reader import iter_records
from stocksync.topics import PUSH_COMMANDS, PUSH_RESULTS, SYNC_RECORDS

log = get_logger(__name__)

OUTCOMES_STALL_S = 60.0


Outcome = tuple[PushResult, str | None]  # and, for a SKIPPED one, the record that superseded it


def logged_outcomes(settings: Settings) -> dict[str, Outcome]:
    """Record id -> the last outcome logged for it (up to the replay's --until). A command
    delivered twice has two; the live sync history holds the later one."""
    outcomes: dict[str, Outcome] = {}
    until = settings.replay_until_ms
    # Streamed, and filtered here: connectors' clocks (CreateTime) need not grow per partition.
    for message in iter_records(settings, settings.topic(PUSH_RESULTS.name),
                                timeout_s=OUTCOMES_STALL_S):
        if message.value is None or (until is not None and message.timestamp > until):
            continue
        try:
            result = decode_push_result(message.value)
        except EventDecodeError:
            log.exception("push_result_undecodable", partition=message.partition,
                          offset=message.offset)
            continue
        superseded_by = dict(message.headers or ()).get(HEADER_SUPERSEDED_BY)
        outcomes[result.record_id] = (
            result, superseded_by.decode() if superseded_by is not None else None)
    return outcomes


def register_outcome_replay(app: faust.App, settings: Settings) -> None:
    commands = app.topic(settings.topic(PUSH_COMMANDS.name), internal=False, **RAW)
    records = RawTopic(app, settings.topic(SYNC_RECORDS.name))
    last_pushed = TableLastPushed.of_app(app, settings.partitions)

    sequence = in_sequence_from_group(app, settings, commands.get_topic_name(), "outcomes")

    @app.agent(commands, name="replay-push-outcomes")
    async def replay_outcomes(stream: faust.StreamT[bytes]) -> None:
        outcomes = await asyncio.get_running_loop().run_in_executor(
            None, logged_outcomes, settings)
        log.info("push_outcomes_loaded", outcomes=len(outcomes))
        async for batch in stream.take_events(PUSH_BATCH, settings.batch_within_s):
            events = [event for event in batch if await sequence.takes(event)]
            await send_all([output for event in events
                            for output in _outcome_outputs(event, outcomes, last_pushed,
                                                           records, settings.partitions)])
            await last_pushed.save_all()


def _outcome_outputs(event: Any, outcomes: dict[str, Outcome], last_pushed: TableLastPushed,
                     records: RawTopic, partitions: int) -> list[Output]:
    try:
        record = decode_sync_record(event.message.value)
    except EventDecodeError:
        log.exception("push_command_undecodable", offset=event.message.offset)
        return []
    outcome = outcomes.get(record.record_id)
    if outcome is None:
        return []
    result, superseded_by = outcome
    if result.status is SyncStatus.SUCCESSFULLY and result.attempts > 0:
        # The live Pusher records a push it made; a redelivered command (0 attempts) it skips.
        with event_context(event):
            last_pushed.put(record.store_id, record.store_sku,
                            LastPush(record.after_qty, record.record_id))
    return [history_output(records, with_outcome(record, result, superseded_by), partitions)]
