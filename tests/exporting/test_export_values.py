"""Which topics export, the Avro schema of an export, and how message bytes decode into rows."""

from __future__ import annotations

import json

import avro.schema
import fastavro
import pytest

from stocksync.domain.events import EVENT_TYPES, StockReceivedManually
from stocksync.event_json import event_values
from stocksync.exporting.envelope import envelope_schema
from stocksync.exporting.values import EXPORTABLE, NotExportable, topic_values
from stocksync.schemas.errors import EventDecodeError
from stocksync.schemas.push_codec import encode_sync_record
from stocksync.topics import ALL_TOPICS, STOCK_EVENTS_DLQ
from tests.domain.push_builders import record
from tests.e2e.apache_avro import apache_single_object
from tests.exporting.messages import T0, exported

EVENT_NAMES = {f"io.stocksync.events.{t.__name__}" for t in EVENT_TYPES}
CONTROL_NAMES = {"io.stocksync.control.ConfigSnapshot", "io.stocksync.control.RefreshRequested"}


@pytest.mark.parametrize("name", EXPORTABLE)
def test_every_exportable_topic_has_a_schema_both_avro_implementations_parse(name: str) -> None:
    """fastavro and the Apache package both accept the export schema: no named type is defined
    twice in a topic's union, every name is valid."""
    schema = envelope_schema(topic_values(name))
    fastavro.parse_schema(schema)
    parsed = avro.schema.parse(json.dumps(schema))
    value_branches = parsed.fields_dict["value"].type.schemas
    assert ["null", *topic_values(name).record_names] == [
        getattr(branch, "fullname", branch.type) for branch in value_branches]


def test_every_registry_topic_but_the_dead_letters_exports() -> None:
    assert {spec.name for spec in ALL_TOPICS} - {STOCK_EVENTS_DLQ.name} == set(EXPORTABLE)


def test_stock_events_hold_every_event_and_the_control_messages() -> None:
    names = set(topic_values("stock-events").record_names)
    assert EVENT_NAMES | CONTROL_NAMES <= names
    assert all(name.startswith("io.stocksync.control.") for name in names - EVENT_NAMES)
    assert EVENT_NAMES == set(topic_values("stock-events.rejected").record_names)


def test_the_dead_letter_topic_is_refused_with_the_reason() -> None:
    with pytest.raises(NotExportable, match="could not be decoded"):
        topic_values("stock-events.dlq")


def test_an_unknown_topic_is_refused_naming_the_exportable_ones() -> None:
    with pytest.raises(NotExportable, match="one of stock-events, .*sync-records"):
        topic_values("stock-event")


def test_an_event_decodes_to_its_avro_datum_with_the_message_metadata() -> None:
    event = StockReceivedManually(event_id="e1", merchant_sku="APPLE", warehouse_id="W1",
                                  occurred_at=T0, source="wms", qty=5, note=None)
    message = exported(apache_single_object(event), partition=3, offset=41, timestamp=T0 + 9,
                       key="äpple".encode(), headers=(("trace", b"x1"), ("empty", None)))
    assert (3, 41, T0 + 9, "äpple", {"trace": "x1", "empty": ""}) == (
        message.partition, message.offset, message.timestamp, message.key, message.headers)
    assert "io.stocksync.events.StockReceivedManually" == message.type
    assert event_values(event) == message.value


def test_a_key_that_is_not_utf8_is_kept_as_escapes() -> None:
    assert "\\xff-1" == exported(None, key=b"\xff-1").key


def test_a_tombstone_has_no_type_and_no_value() -> None:
    message = exported(None, "config", key=b"store:S1")
    assert (None, None, "store:S1") == (message.type, message.value, message.key)


def test_bytes_that_are_not_the_topics_values_do_not_decode() -> None:
    with pytest.raises(EventDecodeError):
        exported(b"\x00not avro")
    # A sync record is a valid stocksync message, but not a value of the config topic.
    with pytest.raises(EventDecodeError):
        exported(encode_sync_record(record(1, T0)), "config")
    assert "io.stocksync.push.SyncRecord" == exported(encode_sync_record(record(1, T0)),
                                                      "sync-records").type
