"""The registry of every project topic: its name, key, value, partitioning and cleanup policy.

stocksync creates these itself (`stocksync topics create`, and on worker start); faust creates only
its internal topics (table changelogs, its leader topic). Every name is taken under the settings'
topic prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stocksync.settings import Settings

FOREVER = "-1"
SEVEN_DAYS_MS = str(7 * 24 * 3600 * 1000)


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str
    value: str
    config: dict[str, str] = field(default_factory=dict)
    # None: the settings' partition count, which every SKU-keyed topic must share.
    partitions: int | None = None
    # Topic configs taken from a setting: config key -> Settings attribute.
    from_settings: dict[str, str] = field(default_factory=dict)

    def partition_count(self, settings: Settings) -> int:
        return self.partitions or settings.partitions

    def config_for(self, settings: Settings) -> dict[str, str]:
        return {**self.config,
                **{key: str(getattr(settings, attr)) for key, attr in self.from_settings.items()}}


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
    # Control messages (io.stocksync.control.*) are written to every partition, key null:
    # configuration snapshots and refresh requests, each applied at one position of the log.
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

CONFIG = TopicSpec(
    name="config",
    key="store:<store_id> or rule:<rule name>, UTF-8",
    value="Avro single-object io.stocksync.config.Store or io.stocksync.config.SyncRule; "
    "a tombstone (null) removes it",
    # One partition: one worker relays every change, in order, into the stock-events log.
    partitions=1,
    config={"cleanup.policy": "compact"},
)

SYNC_RECORDS = TopicSpec(
    name="sync-records",
    key="record_id, UTF-8; on the partition of its merchant SKU (murmur2), like stock-events",
    value="Avro single-object io.stocksync.push.SyncRecord; a later status overwrites",
    config={"cleanup.policy": "compact,delete"},
    from_settings={"retention.ms": "history_retention_ms"},  # 30 days unless configured
)

PUSH_COMMANDS = TopicSpec(
    name="push-commands",
    key="store SKU, UTF-8",
    value="Avro single-object io.stocksync.push.SyncRecord (status PENDING): the kept record "
    "of a closed dedup window",
    config={"cleanup.policy": "delete", "retention.ms": SEVEN_DAYS_MS},
)

PUSH_RESULTS = TopicSpec(
    name="push-results",
    key="record_id, UTF-8",
    value="Avro single-object io.stocksync.push.PushResult",
    # Outcomes come from marketplaces: replays read them here, so they are kept.
    config={"cleanup.policy": "delete", "retention.ms": FOREVER},
)

SYNC_LOGS = TopicSpec(
    name="sync-logs",
    key="record_id, UTF-8; on the partition of its subject: murmur2 of "
    "kind NUL store_id NUL subject_id (connectors.sync_log_reporter.subject_key)",
    value="Avro single-object io.stocksync.projections.SyncLogEntry: one product, order, "
    "customer or refund sync; a later status or attempt overwrites. The log time is the "
    "message's append time, not the value's log_time",
    config={
        "cleanup.policy": "compact,delete",
        # The broker's clock orders the log pages and dates retention: no reporter's clock can.
        "message.timestamp.type": "LogAppendTime",
    },
    from_settings={"retention.ms": "history_retention_ms"},  # 30 days unless configured
)

SYNC_LOG_RESYNC = TopicSpec(
    name="sync-log-resync",
    key="kind NUL store_id NUL subject_id, UTF-8 (the subject's sync-logs partition)",
    value="Avro single-object io.stocksync.synclogs.ResyncRequest: an operator's request to "
    "sync a failed subject again as the given attempt",
    config={"cleanup.policy": "delete"},
    from_settings={"retention.ms": "history_retention_ms"},
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    STOCK_EVENTS,
    STOCK_EVENTS_DLQ,
    STOCK_EVENTS_REJECTED,
    CONFIG,
    SYNC_RECORDS,
    PUSH_COMMANDS,
    PUSH_RESULTS,
    SYNC_LOGS,
    SYNC_LOG_RESYNC,
)
