"""Log messages as plain-Python folds see them: what the live fold hands to the domain, with
log time and position; what it passes over is None."""

from __future__ import annotations

from kafka.consumer.fetcher import ConsumerRecord

from stocksync.domain.events import StockReceivedManually
from stocksync.domain.push import LoggedConfig, LoggedEvent, LoggedRefresh
from stocksync.domain.sync import Cause, Store, SyncRule
from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import ConfigSnapshot, RefreshRequested, encode_control
from stocksync.stock_log import logged_entry
from stocksync.streams.fold_io import partition_of

PARTITIONS = 4
TOPIC = "stock-events"
EVENT = StockReceivedManually(event_id="e1", merchant_sku="APPLE", warehouse_id="WH-1",
                              occurred_at=0, source="test", qty=5)
OWN = partition_of(b"APPLE", PARTITIONS)


def message(key: bytes | None, value: bytes | None, partition: int = OWN,
            offset: int = 7, timestamp: int = 1_000) -> ConsumerRecord:
    return ConsumerRecord(TOPIC, partition, 0, offset, timestamp, 1, key, value, [], None,
                          -1, -1, -1)


def entry(record: ConsumerRecord) -> object:
    return logged_entry(record, default_codec(), PARTITIONS)


def test_an_event_comes_with_its_log_time_and_position() -> None:
    value = default_codec().encode(EVENT)
    assert LoggedEvent(EVENT, 1_000, Cause("e1", TOPIC, OWN, 7)) == entry(message(b"APPLE", value))


def test_what_the_live_fold_rejects_or_dead_letters_is_passed_over() -> None:
    value = default_codec().encode(EVENT)
    assert entry(message(b"PEAR", value)) is None  # the key is not the event's SKU
    assert entry(message(b"APPLE", value, partition=(OWN + 1) % PARTITIONS)) is None
    assert entry(message(b"APPLE", b"not avro")) is None
    assert entry(message(b"APPLE", None)) is None


def test_control_messages_become_config_and_refresh_entries() -> None:
    rule = SyncRule("main", frozenset({"WH-1"}), frozenset({"S1"}))
    store = Store("S1", "S1 shop", "shopee")
    snapshot = encode_control(ConfigSnapshot("config-3", 3, (store,), (rule,)))
    logged = entry(message(None, snapshot, partition=2))
    assert isinstance(logged, LoggedConfig)
    assert (3, {"main": rule}, {"S1": store}, Cause("config-3", TOPIC, 2, 7)) == (
        logged.version, dict(logged.config.rules), dict(logged.config.stores), logged.cause)
    every = encode_control(RefreshRequested("refresh-1"))
    some = encode_control(RefreshRequested("refresh-2", ("S1", "S2")))
    assert LoggedRefresh(None, 1_000, Cause("refresh-1", TOPIC, 0, 7)) == entry(
        message(None, every, partition=0))
    assert frozenset({"S1", "S2"}) == entry(message(None, some)).store_ids
