"""The stock-events log as plain-Python folds read it (as-of stock, what-if runs): bounded reads
that yield what the live fold (streams/stock_fold.py) would hand to the domain, in log order per
partition, with log time and position.

A message is passed over as the live fold passes it over: bytes that decode to no event or
control message (dead-lettered live), an event whose key is not its merchant SKU or which is not
on its key's partition, or whose SKU the fold refuses (rejected live, before its event id is
remembered).
"""

from __future__ import annotations

from collections.abc import Iterator

from kafka.consumer.fetcher import ConsumerRecord

from stocksync.domain.push import LogEntry, LoggedConfig, LoggedEvent, LoggedRefresh
from stocksync.domain.sync import Cause
from stocksync.logs import get_logger
from stocksync.schemas.codec import EventCodec, EventDecodeError, default_codec
from stocksync.schemas.push_codec import (
    ConfigSnapshot,
    RefreshRequested,
    decode_control,
    is_control,
)
from stocksync.settings import Settings
from stocksync.streams.fold_io import partition_of, sku_key_problem
from stocksync.topic_reader import iter_records
from stocksync.topics import STOCK_EVENTS

log = get_logger(__name__)

READ_STALL_TIMEOUT_S = 60.0


def read_stock_log(settings: Settings, *, until_ms: int | None = None,
                   merchant_sku: str | None = None) -> Iterator[LogEntry]:
    """The log from its start up to `until_ms` (the first message logged later), or up to its
    end when the read begins. For one `merchant_sku`: only its partition is read, and only its
    events are decoded (no control message: they change no stock)."""
    topic = settings.topic(STOCK_EVENTS.name)
    codec = default_codec()
    key = merchant_sku.encode() if merchant_sku is not None else None
    partitions = None if key is None else [partition_of(key, settings.partitions)]
    for message in iter_records(settings, topic, partitions, until_ms=until_ms,
                                timeout_s=READ_STALL_TIMEOUT_S):
        if key is not None and message.key != key:
            continue
        entry = logged_entry(message, codec, settings.partitions)
        if entry is not None:
            yield entry


def logged_entry(message: ConsumerRecord, codec: EventCodec, partitions: int) -> LogEntry | None:
    """The message as the domain sees it; None for one the live fold passes over."""
    try:
        if is_control(message.value):
            return _control(message)
        event = codec.decode(message.value)
    except EventDecodeError:
        log.info("log_message_undecodable", partition=message.partition, offset=message.offset)
        return None
    key = event.merchant_sku.encode()
    if sku_key_problem(key) is not None or message.key != key or \
            partition_of(key, partitions) != message.partition:
        return None
    return LoggedEvent(event, message.timestamp, _cause(event.event_id, message))


def _control(message: ConsumerRecord) -> LogEntry | None:
    control = decode_control(message.value)
    cause = _cause(control.control_id, message)
    if isinstance(control, ConfigSnapshot):
        return LoggedConfig(control.version, control.sync_config(), message.timestamp, cause)
    if isinstance(control, RefreshRequested):
        return LoggedRefresh(frozenset(control.store_ids) or None, message.timestamp, cause)
    # Any other control message decides nothing the reference pipeline needs: it closes
    # windows by log time, at each event, which emits what closing at a marker would.
    return None


def _cause(event_id: str, message: ConsumerRecord) -> Cause:
    return Cause(event_id, message.topic, message.partition, message.offset)
