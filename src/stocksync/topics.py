"""The registry of every project topic: its name, key, value, partitioning and cleanup policy.

stocksync creates these itself (`stocksync topics create`, and on worker start); faust creates only
its internal topics (table changelogs, its leader topic). Every name is taken under the settings'
topic prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stocksync.settings import Settings

FOREVER = "-1"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    value: str
    config: dict[str, str] = field(default_factory=dict)
    # None: the settings' partition count, which every SKU-keyed topic must share.
    partitions: int | None = None

    def partition_count(self, settings: Settings) -> int:
        return self.partitions or settings.partitions


STOCK_EVENTS = TopicSpec(
    name="stock-events",
    key="merchant SKU, UTF-8 bytes",
    value="Avro single-object encoding of one io.stocksync.events record (schemas/avro)",
    config={
        # The event log is the truth every table is rebuilt from: keep it whole.
        "cleanup.policy": "delete",
        "retention.ms": FOREVER,
        # Append time is stored in the log and monotonic per partition: windows built on it
        # replay identically.
        "message.timestamp.type": "LogAppendTime",
    },
)

STOCK_EVENTS_DLQ = TopicSpec(
    name="stock-events.dlq",
    key="the original message key, as received",
    value="the original message bytes, as received; headers stocksync.error, "
    "stocksync.error_type and the source topic, partition and offset",
    config={"cleanup.policy": "delete", "retention.ms": FOREVER},
)

STOCK_EVENTS_REJECTED = TopicSpec(
    name="stock-events.rejected",
    key="merchant SKU, UTF-8 bytes",
    value="the original event bytes; headers stocksync.rejection (machine-readable reason), "
    "stocksync.detail and the source topic, partition and offset",
    config={"cleanup.policy": "delete", "retention.ms": FOREVER},
)

ALL_TOPICS: tuple[TopicSpec, ...] = (STOCK_EVENTS, STOCK_EVENTS_DLQ, STOCK_EVENTS_REJECTED)
