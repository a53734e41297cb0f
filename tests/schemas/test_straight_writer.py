"""The straight-line sync-record encoder writes exactly what the schema's generic path (fastavro)
writes, and names the field of a value that does not fit."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given

from stocksync.domain.events import Reason
from stocksync.domain.sync import Cause, SyncRecord
from stocksync.schemas.push_codec import (
    SYNC_RECORD,
    decode_sync_record,
    encode_sync_record,
    push_codec,
    sync_record_to_avro,
)
from stocksync.schemas.straight_writer import StraightWriteError
from tests.domain.strategies import sync_records

@given(sync_records)
def test_the_straight_writer_writes_the_bytes_of_the_generic_path(record: SyncRecord) -> None:
    generic = push_codec().encode(SYNC_RECORD, sync_record_to_avro(record))
    assert generic == encode_sync_record(record)
    assert record == decode_sync_record(generic)


def _a_record(**changes: object) -> SyncRecord:
    record = SyncRecord("r-1", 1, 2, "SHOPEE", "S1", "Shop", "apple", "SKU", "W1", 3, -1, 2,
                        "rule", Reason.SYNC_ORDER, Cause("e-1", "stock-events", 0, 5))
    return dataclasses.replace(record, **changes)


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"after_qty": "2"}, "after_qty", "expected int, got str"),
    ({"after_qty": True}, "after_qty", "expected int, got bool"),
    ({"movement": 1 << 63}, "movement", "outside the Avro long range"),
    ({"cause": Cause("e-1", "t", 1 << 31, 5)}, "cause_partition", "outside the Avro int range"),
    ({"store_sku": None}, "store_sku", "AttributeError"),
    ({"title": 5}, "title", "AttributeError"),
    ({"status": "DONE"}, "status", "KeyError"),
])
def test_a_value_that_does_not_fit_names_its_field(changes: dict[str, object], field: str,
                                                   says: str) -> None:
    with pytest.raises(StraightWriteError, match=f"^{field}: .*{says}"):
        encode_sync_record(_a_record(**changes))
