"""The benchmark's own Kafka clients (aiokafka, nothing of stocksync's runtime): a fast publisher
of pre-encoded events, a paced one for the latency run, and the bare consumer whose read-and-decode
rate is the ceiling a Python consumer gets on this machine."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from stocksync.domain.events import StockEvent
from stocksync.schemas.codec import EventCodec, default_codec
from stocksync.schemas.push_codec import is_control
from stocksync.kafka_security import client_options
from stocksync.settings import Settings
from stocksync.topic_reader import end_offsets

Message = tuple[bytes, bytes]  # key, value


def encode(events: Sequence[StockEvent]) -> list[Message]:
    """Events as the publisher sends them: keyed by merchant SKU, Avro as the codec writes."""
    codec = default_codec()
    return [(event.merchant_sku.encode(), codec.encode(event)) for event in events]


@asynccontextmanager
async def _producer(settings: Settings) -> AsyncIterator[AIOKafkaProducer]:
    # The default partitioner is murmur2, as the Java client's: keys land where the fold expects.
    producer = AIOKafkaProducer(**client_options(settings), acks="all", linger_ms=20,
                                max_batch_size=512 * 1024, enable_idempotence=True)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


async def _send_all(producer: AIOKafkaProducer, topic: str, messages: Sequence[Message]) -> None:
    futures = [await producer.send(topic, value=value, key=key) for key, value in messages]
    await asyncio.gather(*futures)


def publish(settings: Settings, topic: str, messages: Sequence[Message],
            chunk: int = 20_000) -> float:
    """Send every message (acknowledged by all replicas); returns the seconds it took."""
    async def run() -> float:
        async with _producer(settings) as producer:
            started = time.perf_counter()
            for at in range(0, len(messages), chunk):
                await _send_all(producer, topic, messages[at:at + chunk])
            return time.perf_counter() - started
    return asyncio.run(run())


def publish_paced(settings: Settings, topic: str, messages: Sequence[Message], rate: float,
                  tick_s: float = 0.01) -> float:
    """Send at `rate` messages per second, in small slices every `tick_s`; returns the rate
    achieved (lower than asked if this process cannot keep up)."""
    async def run() -> float:
        async with _producer(settings) as producer:
            started = time.perf_counter()
            sent = 0
            pending = []
            while sent < len(messages):
                due = min(len(messages), int((time.perf_counter() - started) * rate) + 1)
                for key, value in messages[sent:due]:
                    pending.append(await producer.send(topic, value=value, key=key))
                sent = max(sent, due)
                await asyncio.sleep(tick_s)
            await asyncio.gather(*pending)
            return len(messages) / (time.perf_counter() - started)
    return asyncio.run(run())


@dataclass(frozen=True)
class ReadRate:
    messages: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds


def bare_read_rate(settings: Settings, topic: str, codec: EventCodec,
                   timeout_s: float = 600.0) -> ReadRate:
    """Read `topic` from its start to its current end with one aiokafka consumer, decoding every
    value to a domain event, as the fold's first step does; timed from the first message."""
    async def run() -> ReadRate:
        consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False,
                                    max_partition_fetch_bytes=4 * 1024 * 1024)
        await consumer.start()
        try:
            # An assigning (not subscribing) consumer has no metadata of the topic yet.
            await consumer._client.force_metadata_update()
            partitions = [TopicPartition(topic, p)
                          for p in sorted(consumer.partitions_for_topic(topic) or ())]
            if not partitions:
                raise RuntimeError(f"topic {topic} has no partitions in the metadata")
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            remaining = sum(ends.values()) - sum(
                (await consumer.beginning_offsets(partitions)).values())
            total, started = remaining, None
            deadline = time.monotonic() + timeout_s
            while remaining > 0:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"read {total - remaining} of {total} in {timeout_s}s")
                batches = await consumer.getmany(timeout_ms=500, max_records=10_000)
                if started is None and batches:
                    started = time.perf_counter()
                for tp, records in batches.items():
                    for record in records:
                        if record.offset >= ends[tp]:
                            continue
                        remaining -= 1
                        if not is_control(record.value):
                            codec.decode(record.value)
            return ReadRate(total, time.perf_counter() - (started or time.perf_counter()))
        finally:
            await consumer.stop()
    return asyncio.run(run())


def publish_controls(settings: Settings, topic: str, value: bytes, partitions: int) -> None:
    """One control message (key null) at the current end of every partition."""
    async def run() -> None:
        async with _producer(settings) as producer:
            await asyncio.gather(*[await producer.send(topic, value=value, partition=p)
                                   for p in range(partitions)])
    asyncio.run(run())


def message_counts(settings: Settings, topics: Sequence[str]) -> dict[str, int]:
    """How many messages each topic holds (end offsets summed over its partitions)."""
    return {topic: sum(end_offsets(settings, topic).values()) for topic in topics}
