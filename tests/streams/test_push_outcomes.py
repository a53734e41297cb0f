"""What the push agent writes for a command a newer one superseded while its marketplace did not
answer, and what a replay makes of it: SKIPPED, superseded by the newer record, both live and
replayed (the push result carries the newer record id in a header)."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

from stocksync.domain.sync import PushResult, SyncStatus
from stocksync.schemas.push_codec import (
    decode_push_result,
    decode_sync_record,
    encode_sync_record,
)
from stocksync.streams.outcome_replay import _outcome_outputs
from stocksync.streams.push_agent import HEADER_SUPERSEDED_BY, result_outputs
from stocksync.streams.push_tables import TableLastPushed
from tests.connectors.helpers import record
from tests.streams.test_push_tables import Writer

RESULTS, RECORDS = object(), object()


def skipped(record_id: str) -> PushResult:
    return PushResult(record_id=record_id, store_id="S1", store_sku="SKU-1",
                      status=SyncStatus.SKIPPED, pushed_qty=7, attempts=0, completed_at=1)


def test_a_superseded_command_is_logged_skipped_with_the_record_that_replaced_it() -> None:
    pending = record("R1")
    result, history = result_outputs(skipped("R1"), pending, RESULTS, RECORDS, 4,
                                     superseded_by="R2")
    assert (RESULTS, [(HEADER_SUPERSEDED_BY, b"R2")], SyncStatus.SKIPPED) == (
        result.topic, list(result.headers), decode_push_result(result.value).status)
    assert replace(pending, status=SyncStatus.SKIPPED, superseded_by="R2") == (
        decode_sync_record(history.value))


def test_a_replay_gives_the_superseded_record_the_same_status_and_superseder() -> None:
    pending = record("R1")
    event = SimpleNamespace(message=SimpleNamespace(value=encode_sync_record(pending), offset=3,
                                                    partition=0))
    last_pushed = TableLastPushed(Writer())  # type: ignore[arg-type]
    outputs = _outcome_outputs(event, {"R1": (skipped("R1"), "R2")}, last_pushed,
                               RECORDS, 4)  # type: ignore[arg-type]
    assert [replace(pending, status=SyncStatus.SKIPPED, superseded_by="R2")] == [
        decode_sync_record(output.value) for output in outputs]
    assert 0 == last_pushed.unsaved  # nothing was pushed: the listing's last push is unchanged
