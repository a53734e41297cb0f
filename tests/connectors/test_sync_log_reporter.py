"""The connectors' side of the sync logs without a broker: which partition a subject's entries
go to, which entries may go to the log, and the bytes of a re-sync request."""

from __future__ import annotations

import dataclasses

import pytest

from stocksync.connectors.sync_log_reporter import (
    InvalidEntry,
    ResyncRequest,
    check_entry,
    decode_resync_request,
    encode_resync_request,
    entry_partition,
    subject_key,
)
from stocksync.projections.sync_logs import SyncLogKind, SyncLogStatus
from stocksync.projections.view_codec import encode_sync_log_entry
from stocksync.schemas.errors import EventDecodeError
from stocksync.streams.fold_io import partition_of
from tests.projections.histories import entry

PARTITIONS = 6


def test_every_entry_of_a_subject_goes_to_its_partition() -> None:
    """Entries of one subject share a partition whatever their record ids; subjects spread."""
    # three syncs of order o7 to store S1, by record ids r1..r3
    syncs = [entry("o7", record_id=f"r{n}") for n in range(1, 4)]
    expected = partition_of(b"ORDER\x00S1\x00o7", PARTITIONS)
    assert {expected} == {entry_partition(e, PARTITIONS) for e in syncs}
    # 50 subjects use more than one partition
    assert len({entry_partition(entry(f"o{n}"), PARTITIONS) for n in range(50)}) > 1


def test_subject_keys_tell_store_and_subject_apart() -> None:
    """Store "S1/2" with order "3" is another subject than store "S1" with order "2/3"."""
    assert subject_key(SyncLogKind.ORDER, "S1/2", "3") != subject_key(SyncLogKind.ORDER, "S1",
                                                                       "2/3")
    assert subject_key(SyncLogKind.ORDER, "S1", "o1") != subject_key(SyncLogKind.REFUND, "S1",
                                                                      "o1")


def test_entries_of_every_kind_and_status_may_be_reported() -> None:
    """A pending product, a processing customer, a synced refund, a failed order pass."""
    for kind, status, code in [("PRODUCT", "PENDING", None), ("CUSTOMER", "PROCESSING", None),
                               ("REFUND", "SYNCED", None), ("ORDER", "FAILED", "sku.exists")]:
        check_entry(entry("x1", kind=kind, status=status, failure_code=code,
                          details=(("email", "a@b.example"),)))


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"record_id": ""}, "record_id"), ({"subject_id": "  "}, "subject_id"),
     ({"store_id": 5}, "store_id"), ({"marketplace": None}, "marketplace"),
     ({"kind": "ORDER"}, "kind"), ({"status": "FAILED"}, "status"),
     ({"occurred_at": -1}, "occurred_at"), ({"attempt": 0}, "attempt"),
     ({"attempt": True}, "attempt"), ({"log_time": 1.5}, "log_time"),
     ({"status": SyncLogStatus.FAILED}, "failure_code"),
     ({"status": SyncLogStatus.FAILED, "failure_code": "A,B"}, "failure_code"),
     ({"status": SyncLogStatus.FAILED, "failure_code": "X", "failure_message": 3},
      "failure_message"),
     ({"failure_code": "TIMEOUT"}, "failure_code"),
     ({"status": SyncLogStatus.SYNCED, "failure_message": "late"}, "failure_message"),
     ({"details": (("total", 12),)}, "details"), ({"details": (("", "x"),)}, "details")],
)
def test_a_bad_entry_is_refused_naming_its_field(changes: dict[str, object], field: str) -> None:
    """Each field the log pages could not show or filter is named."""
    with pytest.raises(InvalidEntry) as error:
        check_entry(dataclasses.replace(entry("o1"), **changes))  # type: ignore[arg-type]
    assert field == error.value.field


def test_a_resync_request_survives_its_bytes() -> None:
    request = ResyncRequest("resync-1", SyncLogKind.REFUND, "S2", "rf-9", 3, ("a", "b"),
                            1_700_000_000_000)
    assert request == decode_resync_request(encode_resync_request(request))


def test_other_bytes_are_not_a_resync_request() -> None:
    """A sync log entry on the wrong topic, or garbage, is a decode error, never a request."""
    for data in (encode_sync_log_entry(entry("o1")), b"\xc3\x01garbage!", b""):
        with pytest.raises(EventDecodeError):
            decode_resync_request(data)
