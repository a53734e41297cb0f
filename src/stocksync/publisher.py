"""The producer API for upstream systems: validated stock events onto `stock-events`, keyed by SKU."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from kafka import KafkaProducer
from kafka.producer.future import FutureRecordMetadata

from stocksync.domain.events import StockEvent
from stocksync.kafka_security import client_options
from stocksync.schemas.codec import EventCodec, default_codec
from stocksync.settings import Settings
from stocksync.topics import STOCK_EVENTS


def ordered_producer(settings: Settings, client: str) -> KafkaProducer:
    """A producer that keeps each key's messages in the order sent, retries included."""
    return KafkaProducer(
        **client_options(settings),
        client_id=f"{settings.app_id}-{client}",
        acks="all",
        linger_ms=5,
        # One request in flight: a retried send cannot overtake the next one.
        max_in_flight_requests_per_connection=1,
        retries=5,
    )


class PlacedMessage(NamedTuple):
    """A message bound for one partition (an export published again)."""

    partition: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None


class StockEventPublisher:
    """Encodes events as Avro single-object messages and sends them keyed by merchant SKU.

    Encoding happens for every event before the first send, so a batch with an invalid event
    sends nothing.
    """

    def __init__(self, settings: Settings, codec: EventCodec | None = None) -> None:
        self._topic = settings.topic(STOCK_EVENTS.name)
        self._codec = codec or default_codec()
        self._producer = ordered_producer(settings, "publisher")

    def publish(self, events: Iterable[StockEvent]) -> int:
        messages = [(event.merchant_sku.encode(), self._codec.encode(event)) for event in events]
        return self._settle([self._producer.send(self._topic, key=key, value=value)
                             for key, value in messages])

    def publish_raw(self, key: bytes | None, value: bytes) -> None:
        """Send bytes as they are: for tests and tools that feed foreign producers' output."""
        self._producer.send(self._topic, key=key, value=value).get(timeout=30)

    def publish_placed(self, messages: Sequence[PlacedMessage]) -> int:
        """Send each message to its own partition, in order: each partition's log keeps the
        order of the sequence."""
        return self._settle([self._producer.send(self._topic, key=m.key, value=m.value,
                                                 partition=m.partition,
                                                 timestamp_ms=m.timestamp_ms)
                             for m in messages])

    def _settle(self, futures: list[FutureRecordMetadata]) -> int:
        self._producer.flush()
        for future in futures:
            future.get(timeout=30)  # raises the send error, if any
        return len(futures)

    def close(self) -> None:
        self._producer.close()

    def __enter__(self) -> StockEventPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
