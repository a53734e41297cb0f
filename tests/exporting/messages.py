"""Exported messages for the export tests, made the way an export makes them: real message bytes
decoded through the topic's own decoder."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from stocksync.domain.events import StockEvent
from stocksync.exporting.envelope import ExportedMessage
from stocksync.exporting.exporter import exported_message
from stocksync.exporting.values import topic_values
from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import ConfigSnapshot, RefreshRequested, encode_control
from tests.domain.push_builders import rule, store
from tests.e2e.test_fold_e2e import every_reason

T0 = 1_767_225_600_000


def consumer_record(value: bytes | None, *, partition: int = 0, offset: int = 0,
                    timestamp: int = T0, key: bytes | None = b"K",
                    headers: tuple[tuple[str, bytes | None], ...] = ()) -> Any:
    """What exporting reads of a kafka-python ConsumerRecord."""
    return SimpleNamespace(topic="t.stock-events", partition=partition, offset=offset,
                           timestamp=timestamp, key=key, value=value, headers=list(headers))


def exported(value: bytes | None, topic: str = "stock-events", **where: Any) -> ExportedMessage:
    return exported_message(consumer_record(value, **where), topic_values(topic))


def snapshot() -> ConfigSnapshot:
    return ConfigSnapshot("config-7", 7, (store("S1"), store("S2", "lazada")),
                          (rule("main", stores=("S1", "S2"), max_qty=500),))


def stock_events_history() -> list[tuple[StockEvent | ConfigSnapshot | RefreshRequested | None,
                                         ExportedMessage]]:
    """Every reason, control messages and a tombstone, over two partitions, with what each
    exports as."""
    values: list[StockEvent | ConfigSnapshot | RefreshRequested | None] = [
        snapshot(), *every_reason("APPLE"), RefreshRequested("refresh-1", ("S1",)), None]
    history = []
    for offset, value in enumerate(values):
        if value is None:
            data, key = None, None
        elif isinstance(value, StockEvent):
            data, key = default_codec().encode(value), value.merchant_sku.encode()
        else:
            data, key = encode_control(value), None
        history.append((value, exported(data, partition=offset % 2, offset=offset // 2,
                                        timestamp=T0 + offset, key=key)))
    return history
