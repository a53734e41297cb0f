"""What the fold agent sends and how it addresses faust's per-partition state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class Output:
    """A message to send before the state that produced it may be written."""

    topic: Any  # faust TopicT
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]] = ()
    partition: int | None = None  # None: the key's partition (murmur2)


class RawTopic:
    """A topic the agents write through the app's producer: faust's `Topic.send` builds a
    FutureMessage, callbacks and a buffered send per message, which the fold (tens of thousands
    of outputs a second) cannot afford. Bytes in, the broker's acknowledgement out."""

    __slots__ = ("_app", "name")

    def __init__(self, app: Any, name: str) -> None:
        self._app = app
        self.name = name

    async def send(self, *, key: bytes | None, value: bytes | None,
                   headers: list[tuple[str, bytes]], partition: int | None = None) -> Any:
        return await self._app.producer.send(self.name, key, value, partition, None,
                                             headers or None)


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
    return (murmur2(key) & 0x7FFFFFFF) % partitions


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
    futures = [
        await output.topic.send(key=output.key, value=output.value, headers=list(output.headers),
                                partition=output.partition)
        for output in outputs
    ]
    for future in futures:
        await future
