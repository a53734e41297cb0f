"""What the fold agent sends and how it addresses faust's per-partition state."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from random import randrange
from typing import Any, NamedTuple

from aiokafka.partitioner import murmur2

from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.schemas.push_codec import encode_sync_record

HEADER_ERROR = "stocksync.error"
HEADER_ERROR_TYPE = "stocksync.error_type"
HEADER_REJECTION = "stocksync.rejection"
HEADER_DETAIL = "stocksync.detail"
HEADER_SOURCE_TOPIC = "stocksync.source_topic"
HEADER_SOURCE_PARTITION = "stocksync.source_partition"
HEADER_SOURCE_OFFSET = "stocksync.source_offset"

# Every project topic carries bytes both ways: stocksync encodes and decodes them itself.
RAW = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw", "value_serializer": "raw"}

# Keys of the stock table that are not merchant SKUs start with a NUL byte.
CONFIG_KEY = b"\x00config"


class Output(NamedTuple):
    """A message to send before the state that produced it may be written. (A named tuple: the
    fold makes one or two for every record, and a frozen dataclass's `__init__` costs more.)"""

    topic: Any  # faust TopicT
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()
    partition: int | None = None  # None: the key's partition (murmur2)


class RawTopic:
    """A topic the agents write through the app's producer; many messages at once as record
    batches.

    faust's `Topic.send` builds a FutureMessage, callbacks and a buffered send per message, and
    even aiokafka's own `send` awaits a metadata check, runs the partitioner and makes a future
    for every message; the fold sends tens of thousands of outputs a second. `send_many` appends
    a call's messages to one record batch per partition (aiokafka's C builder) and hands each
    batch over whole: one future per batch. Within a partition the messages keep their order.
    """

    __slots__ = ("_app", "name")

    def __init__(self, app: Any, name: str) -> None:
        self._app = app
        self.name = name

    async def send(self, *, key: bytes | None, value: bytes | None,
                   headers: list[tuple[str, bytes]], partition: int | None = None) -> Any:
        return (await self.send_many([Output(self, key, value, headers or (), partition)]))[0]

    async def send_many(self, outputs: Sequence[Output]) -> list[Any]:
        """Queue `outputs` (all of this topic) and return their futures: one a batch, or one a
        message for a few. A batch handed over whole waits until the partition's previous
        batch is on its way, one broker round trip each: the push agent's many concurrent
        sends of two or three messages queued hundreds of them on one partition, and aiokafka
        gave up on them (KafkaTimeoutError). A message sent alone joins the open batch."""
        return [future for future, _ in await send_outputs(self._app, self.name, outputs)]


# Fewer outputs than this go out message by message (see `RawTopic.send_many`).
BATCH_AT_LEAST = 64


async def send_outputs(app: Any, topic: str, outputs: Sequence[Output],
                       batch_at_least: int = BATCH_AT_LEAST) -> list[tuple[Any, int]]:
    """Queue `outputs` to `topic`: fewer than `batch_at_least` through faust's producer,
    message by message (they join the partition's open batch), more as record batches of their
    own. Each future (its metadata's offset is its first record's) and how many records it
    stands for."""
    if len(outputs) < batch_at_least:
        return [(await app.producer.send(topic, o.key, o.value, o.partition, None,
                                         list(o.headers) or None), 1) for o in outputs]
    return await send_batches(app.producer._ensure_producer(), topic, outputs)


async def send_batches(producer: Any, topic: str,
                       outputs: Sequence[Output]) -> list[tuple[Any, int]]:
    """Append `outputs` (their topic is `topic`) to record batches, one open batch per
    partition, and queue each batch as it fills and at the end. Returns each batch's future
    (its metadata's offset is the batch's first) and how many records it holds, in the order
    the batches were queued."""
    await producer.client._wait_on_metadata(topic)
    count = len(producer.client.cluster.partitions_for_topic(topic))
    builders: dict[int, Any] = {}
    futures: list[Any] = []
    for _, key, value, headers, partition in outputs:
        if headers.__class__ is not list:
            headers = list(headers)  # the C batch builder takes a list only
        if partition is None:
            partition = partition_of(key, count) if key is not None else randrange(count)
        builder = builders.get(partition)
        if builder is None:
            builder = builders[partition] = producer.create_batch()
        if builder.append(timestamp=None, key=key, value=value, headers=headers) is None:
            futures.append((await producer.send_batch(builder, topic, partition=partition),
                            builder.record_count()))
            builder = builders[partition] = producer.create_batch()
            if builder.append(timestamp=None, key=key, value=value, headers=headers) is None:
                raise ValueError(f"a message of {len(value or b'')} bytes does not fit in a "
                                 f"record batch of {topic}")
    for partition, builder in builders.items():
        futures.append((await producer.send_batch(builder, topic, partition=partition),
                        builder.record_count()))
    return futures


class PartitionEvent:
    """Stands in for a faust event of a partition, for table writes outside a stream (timers,
    control messages): faust routes them by `message.partition` and checks `message.topic`."""

    __slots__ = ("__weakref__", "message")

    def __init__(self, topic: str, partition: int) -> None:
        self.message = _PartitionMessage(topic, partition)


@dataclass(frozen=True)
class _PartitionMessage:
    topic: str
    partition: int


def partition_of(key: bytes, partitions: int) -> int:
    """The partition the Java client's default partitioner (murmur2) gives a key."""
    return _positive_murmur2(key) % partitions


@functools.lru_cache(maxsize=65_536)
def _positive_murmur2(key: bytes) -> int:
    # aiokafka's murmur2 is pure Python; the fold hashes the same SKUs and store SKUs over and
    # over (every record's history partition, every command's).
    return murmur2(key) & 0x7FFFFFFF


def listing_key(store_id: str, store_sku: str) -> bytes:
    """A store listing's key in the tables that hold one row per listing (the push agent's and
    the Push Record view)."""
    return f"{store_id}\x00{store_sku}".encode()


def is_sku_key(key: bytes) -> bool:
    return not key.startswith(b"\x00")


# A merchant SKU longer than this is refused: no shop has one, and the SKU's order rows carry
# its length in two bytes (streams/order_entries.py).
MAX_SKU_BYTES = 1000


def sku_key_problem(key: bytes) -> str | None:
    """Why `key` cannot be a merchant SKU of the stock table, or None."""
    if not key:
        return "the merchant SKU is empty"
    if not is_sku_key(key):
        return "a merchant SKU may not start with NUL (the stock table's own keys do)"
    if len(key) > MAX_SKU_BYTES:
        return f"the merchant SKU is {len(key)} bytes long, more than {MAX_SKU_BYTES}"
    return None


def source_headers(message: Any) -> list[tuple[str, bytes]]:
    return [
        (HEADER_SOURCE_TOPIC, message.topic.encode()),
        (HEADER_SOURCE_PARTITION, str(message.partition).encode()),
        (HEADER_SOURCE_OFFSET, str(message.offset).encode()),
    ]


def history_output(records_topic: Any, record: SyncRecord, partitions: int) -> Output:
    """A record for the sync history: keyed (and compacted) by record id, but on its merchant
    SKU's partition, so that the history is co-partitioned with the stock and its views."""
    return Output(records_topic, record.record_id.encode(), encode_sync_record(record),
                  partition=partition_of(record.merchant_sku.encode(), partitions))


def record_outputs(records: Sequence[SyncRecord], records_topic: Any,
                   commands_topic: Any, partitions: int) -> list[Output]:
    """Every emitted record goes to the sync history; a PENDING one is also a push command."""
    outputs = []
    for record in records:
        history = history_output(records_topic, record, partitions)
        value = history.value
        outputs.append(history)
        if record.status is SyncStatus.PENDING:
            outputs.append(Output(commands_topic, record.store_sku.encode(), value))
    return outputs


async def send_all(outputs: Sequence[Output]) -> None:
    """Send every output and wait until the broker has acknowledged each."""
    for future in await start_sending(outputs):
        await future


async def start_sending(outputs: Sequence[Output]) -> list[Any]:
    """Hand every output to the producer; the futures of their acknowledgements."""
    by_topic: dict[int, tuple[Any, list[Output]]] = {}
    for output in outputs:
        by_topic.setdefault(id(output.topic), (output.topic, []))[1].append(output)
    futures = []
    for topic, items in by_topic.values():
        futures += await topic.send_many(items)
    return futures
