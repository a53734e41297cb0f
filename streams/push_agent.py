"""The connector side of a worker: push commands to marketplaces, results to `push-results`.

Commands are taken in batches; each batch's pushes run concurrently (the Pusher keeps one
listing's pushes in order and limits each store's rate), and the batch is acknowledged only once
every result is on `push-results`. A redelivered command finds its record id in `last-pushed`
and is not sent again; the marketplace also receives the record id as idempotency key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import faust

from stocksync.connectors.last_pushed import LastPush, LastPushed
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
from stocksync.topics import PUSH_COMMANDS, PUSH_RESULTS, SYNC_RECORDS

log = get_logger(__name__)

PUSH_BATCH = 200


class TableLastPushed(LastPushed):
    """`LastPushed` in a faust table co-partitioned with push-commands (restored from its
    changelog after a restart). Reads and writes happen in the command's event context."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, store_id: str, store_sku: str) -> LastPush | None:
        raw = self._table.get(_key(store_id, store_sku))
        if raw is None:
            return None
        qty, _, record_id = raw.decode().partition(" ")
        return LastPush(int(qty), record_id)

    def put(self, store_id: str, store_sku: str, push: LastPush) -> None:
        self._table[_key(store_id, store_sku)] = f"{push.qty} {push.record_id}".encode()


def _key(store_id: str, store_sku: str) -> bytes:
    return f"{store_id}\x00{store_sku}".encode()


def register_push_agent(app: faust.App, settings: Settings,
                        secrets: Mapping[str, str]) -> ConfigFollower:
    commands = app.topic(settings.topic(PUSH_COMMANDS.name), internal=False, **RAW)
    results = RawTopic(app, settings.topic(PUSH_RESULTS.name))
    records = RawTopic(app, settings.topic(SYNC_RECORDS.name))
    last_pushed_table = app.Table("last-pushed", partitions=settings.partitions,
                                  key_type=bytes, value_type=bytes)
    follower = ConfigFollower(settings)
    pusher = Pusher(connector_factory(secrets), TableLastPushed(last_pushed_table))

    @app.task
    async def follow_config() -> None:
        await follower.run()

    async def push_one(event: Any) -> list[Output]:
        try:
            record = decode_sync_record(event.message.value)
        except EventDecodeError:
            log.exception("push_command_undecodable", offset=event.message.offset)
            return []
        with event_context(event):
            result = await pusher.push(PushCommand(record),
                                       await follower.store_soon(record.store_id))
        log.info("pushed", record_id=result.record_id, store_id=result.store_id,
                 store_sku=result.store_sku, status=result.status.value, qty=result.pushed_qty,
                 attempts=result.attempts,
                 failure=result.failure_code.value if result.failure_code else None)
        return result_outputs(result, record, results, records, settings.partitions)

    @app.agent(commands, name="push-to-marketplaces")
    async def push(stream: faust.StreamT[bytes]) -> None:
        await follower.caught_up.wait()
        async for events in stream.take_events(PUSH_BATCH, settings.batch_within_s):
            done = await asyncio.gather(*(push_one(event) for event in events))
            await send_all([output for outputs in done for output in outputs])

    return follower


def result_outputs(result: PushResult, record: SyncRecord, results: Any,
                    records: Any, partitions: int) -> list[Output]:
    """The result for the connector's log, and the record with its final status for the
    sync history (a later status overwrites an earlier one under the record id)."""
    return [Output(results, result.record_id.encode(), encode_push_result(result)),
            history_output(records, with_outcome(record, result), partitions)]


def with_outcome(record: SyncRecord, result: PushResult) -> SyncRecord:
    if result.status is SyncStatus.SUCCESSFULLY:
        return replace(record, status=SyncStatus.SUCCESSFULLY)
    return replace(record, status=SyncStatus.FAILED, failure_code=result.failure_code,
                   failure_message=result.failure_message)
