"""Avro forms of the push pipeline's records: sync records, push results, stores, sync rules, and
the control messages that carry configuration and refreshes into every stock-events partition."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from stocksync.domain.events import Reason
from stocksync.domain.sync import (
    Cause,
    ConnectorSettings,
    FailureCode,
    PushResult,
    Rounding,
    SoldOutPolicy,
    Store,
    SyncRecord,
    SyncRule,
    SyncStatus,
)
from stocksync.domain.sync_config import SyncConfig

from .object_codec import ObjectCodec
from .straight_writer import compile_straight_writer

SYNC_RECORD = "io.stocksync.push.SyncRecord"
PUSH_RESULT = "io.stocksync.push.PushResult"
STORE = "io.stocksync.config.Store"
SYNC_RULE = "io.stocksync.config.SyncRule"
CONFIG_SNAPSHOT = "io.stocksync.control.ConfigSnapshot"
REFRESH_REQUESTED = "io.stocksync.control.RefreshRequested"
WINDOW_TICK = "io.stocksync.control.WindowTick"
CONTROL_NAMES = frozenset({CONFIG_SNAPSHOT, REFRESH_REQUESTED, WINDOW_TICK})


def _schema_file(path: str) -> dict[str, Any]:
    return json.loads(resources.files("stocksync.schemas").joinpath(path).read_text())


def _control_schemas(store: dict[str, Any], rule: dict[str, Any]) -> list[dict[str, Any]]:
    """Control messages are written into every stock-events partition, each at one position of
    that partition's log, so that every SKU sees a change at a deterministic point."""
    snapshot = {
        "type": "record", "name": "ConfigSnapshot", "namespace": "io.stocksync.control",
        "doc": "The whole push configuration at one version; a partition applies it once.",
        "fields": [
            {"name": "control_id", "type": "string"},
            {"name": "version", "type": "long"},
            {"name": "stores", "type": {"type": "array", "items": store}},
            {"name": "rules", "type": {"type": "array", "items": rule}},
        ],
    }
    refresh = {
        "type": "record", "name": "RefreshRequested", "namespace": "io.stocksync.control",
        "doc": "Push the current quantity of every SKU of the partition (periodic Refresh, or an "
               "operator's refresh of some stores).",
        "fields": [
            {"name": "control_id", "type": "string"},
            {"name": "store_ids", "type": {"type": "array", "items": "string"}, "default": []},
        ],
    }
    tick = {
        "type": "record", "name": "WindowTick", "namespace": "io.stocksync.control",
        "doc": "Close the partition's dedup windows that end at or before this message's log "
               "time. The owner of an idle partition writes it once a window is due, so windows "
               "close at a position of the log, where a replay closes them too.",
        "fields": [
            {"name": "control_id", "type": "string"},
        ],
    }
    return [snapshot, refresh, tick]


@functools.cache
def push_codec() -> ObjectCodec:
    store, rule = _schema_file("config/Store.avsc"), _schema_file("config/SyncRule.avsc")
    return ObjectCodec([_schema_file("push/SyncRecord.avsc"), _schema_file("push/PushResult.avsc"),
                        store, rule, *_control_schemas(store, rule)])


# -- sync records ------------------------------------------------------------------------------

def sync_record_to_avro(record: SyncRecord) -> dict[str, Any]:
    return {
        "record_id": record.record_id, "sync_time": record.sync_time, "log_time": record.log_time,
        "marketplace": record.marketplace, "store_id": record.store_id,
        "store_nickname": record.store_nickname, "store_sku": record.store_sku,
        "merchant_sku": record.merchant_sku, "title": record.title,
        "warehouse_id": record.warehouse_id, "before_qty": record.before_qty,
        "movement": record.movement, "after_qty": record.after_qty,
        "rule_name": record.rule_name, "reason": record.reason.value,
        "cause_event_id": record.cause.event_id, "cause_topic": record.cause.topic,
        "cause_partition": record.cause.partition, "cause_offset": record.cause.offset,
        "status": record.status.value, "superseded_by": record.superseded_by,
        "failure_code": record.failure_code.value if record.failure_code else None,
        "failure_message": record.failure_message,
    }


def sync_record_from_avro(data: dict[str, Any]) -> SyncRecord:
    return SyncRecord(
        record_id=data["record_id"], sync_time=data["sync_time"], log_time=data["log_time"],
        marketplace=data["marketplace"], store_id=data["store_id"],
        store_nickname=data["store_nickname"], store_sku=data["store_sku"],
        merchant_sku=data["merchant_sku"], title=data["title"],
        warehouse_id=data["warehouse_id"], before_qty=data["before_qty"],
        movement=data["movement"], after_qty=data["after_qty"], rule_name=data["rule_name"],
        reason=Reason(data["reason"]),
        cause=Cause(data["cause_event_id"], data["cause_topic"], data["cause_partition"],
                    data["cause_offset"]),
        status=SyncStatus(data["status"]), superseded_by=data["superseded_by"],
        failure_code=FailureCode(data["failure_code"]) if data["failure_code"] else None,
        failure_message=data["failure_message"],
    )


@functools.cache
def _sync_record_writer() -> Callable[[SyncRecord], bytes]:
    """The fold writes a record or two for every listing a trigger concerns: straight-line
    (schemas/straight_writer.py), it costs a third of the dict + fastavro path."""
    return _straight_sync_record(push_codec().header(SYNC_RECORD))


@functools.cache
def sync_record_body_writer() -> Callable[[SyncRecord], bytes]:
    """A sync record's Avro body alone, for records nested in others (an open window)."""
    return _straight_sync_record(b"")


def _straight_sync_record(header: bytes) -> Callable[[SyncRecord], bytes]:
    return compile_straight_writer(
        _schema_file("push/SyncRecord.avsc"), header,
        {"cause_event_id": "r.cause.event_id", "cause_topic": "r.cause.topic",
         "cause_partition": "r.cause.partition", "cause_offset": "r.cause.offset",
         "failure_code": "None if r.failure_code is None else r.failure_code.value"},
        {"Reason": Reason, "SyncStatus": SyncStatus})


def encode_sync_record(record: SyncRecord) -> bytes:
    return _sync_record_writer()(record)


def decode_sync_record(data: bytes) -> SyncRecord:
    name, record = push_codec().decode(data)
    _expect(name, SYNC_RECORD)
    return sync_record_from_avro(record)


# -- push results ------------------------------------------------------------------------------

def encode_push_result(result: PushResult) -> bytes:
    return push_codec().encode(PUSH_RESULT, {
        "record_id": result.record_id, "store_id": result.store_id,
        "store_sku": result.store_sku, "status": result.status.value,
        "pushed_qty": result.pushed_qty, "attempts": result.attempts,
        "completed_at": result.completed_at,
        "failure_code": result.failure_code.value if result.failure_code else None,
        "failure_message": result.failure_message,
    })


def decode_push_result(data: bytes) -> PushResult:
    name, r = push_codec().decode(data)
    _expect(name, PUSH_RESULT)
    return PushResult(
        record_id=r["record_id"], store_id=r["store_id"], store_sku=r["store_sku"],
        status=SyncStatus(r["status"]), pushed_qty=r["pushed_qty"], attempts=r["attempts"],
        completed_at=r["completed_at"],
        failure_code=FailureCode(r["failure_code"]) if r["failure_code"] else None,
        failure_message=r["failure_message"],
    )


# -- configuration -----------------------------------------------------------------------------

def store_to_avro(store: Store) -> dict[str, Any]:
    connector = store.connector
    return {
        "store_id": store.store_id, "nickname": store.nickname,
        "marketplace": store.marketplace, "connector_kind": connector.kind,
        "connector_options": dict(connector.options), "secret_ref": connector.secret_ref,
        "requests_per_second": connector.requests_per_second,
    }


def store_from_avro(data: dict[str, Any]) -> Store:
    return Store(
        store_id=data["store_id"], nickname=data["nickname"], marketplace=data["marketplace"],
        connector=ConnectorSettings(
            kind=data["connector_kind"],
            options=tuple(sorted(data["connector_options"].items())),
            secret_ref=data["secret_ref"],
            requests_per_second=data["requests_per_second"],
        ),
    )


def rule_to_avro(rule: SyncRule) -> dict[str, Any]:
    return {
        "name": rule.name, "warehouses": sorted(rule.warehouses),
        "store_ids": sorted(rule.store_ids), "percent": str(rule.percent),
        "plus_units": rule.plus_units, "buffer": rule.buffer, "zero_below": rule.zero_below,
        "max_qty": rule.max_qty, "rounding": rule.rounding.value, "enabled": rule.enabled,
        "sold_out_threshold": rule.sold_out.threshold if rule.sold_out else None,
        "sold_out_store_id": rule.sold_out.store_id if rule.sold_out else None,
    }


def rule_from_avro(data: dict[str, Any]) -> SyncRule:
    sold_out = None
    if data["sold_out_threshold"] is not None and data["sold_out_store_id"] is not None:
        sold_out = SoldOutPolicy(data["sold_out_threshold"], data["sold_out_store_id"])
    return SyncRule(
        name=data["name"], warehouses=frozenset(data["warehouses"]),
        store_ids=frozenset(data["store_ids"]), percent=Decimal(data["percent"]),
        plus_units=data["plus_units"], buffer=data["buffer"], zero_below=data["zero_below"],
        max_qty=data["max_qty"], rounding=Rounding(data["rounding"]), enabled=data["enabled"],
        sold_out=sold_out,
    )


def encode_store(store: Store) -> bytes:
    return push_codec().encode(STORE, store_to_avro(store))


def decode_store(data: bytes) -> Store:
    name, record = push_codec().decode(data)
    _expect(name, STORE)
    return store_from_avro(record)


def encode_rule(rule: SyncRule) -> bytes:
    return push_codec().encode(SYNC_RULE, rule_to_avro(rule))


def decode_rule(data: bytes) -> SyncRule:
    name, record = push_codec().decode(data)
    _expect(name, SYNC_RULE)
    return rule_from_avro(record)


# -- control messages --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ConfigSnapshot:
    control_id: str
    version: int
    stores: tuple[Store, ...]
    rules: tuple[SyncRule, ...]

    def sync_config(self) -> SyncConfig:
        """The configuration the snapshot carries, as push decisions read it."""
        return SyncConfig(rules={r.name: r for r in self.rules},
                          stores={s.store_id: s for s in self.stores})


@dataclass(frozen=True, slots=True)
class RefreshRequested:
    control_id: str
    store_ids: tuple[str, ...] = ()  # empty: every store


@dataclass(frozen=True, slots=True)
class WindowTick:
    control_id: str


ControlMessage = ConfigSnapshot | RefreshRequested | WindowTick


def encode_control(message: ControlMessage) -> bytes:
    if isinstance(message, ConfigSnapshot):
        return push_codec().encode(CONFIG_SNAPSHOT, {
            "control_id": message.control_id, "version": message.version,
            "stores": [store_to_avro(s) for s in sorted(message.stores, key=lambda s: s.store_id)],
            "rules": [rule_to_avro(r) for r in sorted(message.rules, key=lambda r: r.name)],
        })
    if isinstance(message, WindowTick):
        return push_codec().encode(WINDOW_TICK, {"control_id": message.control_id})
    return push_codec().encode(REFRESH_REQUESTED, {"control_id": message.control_id,
                                                   "store_ids": list(message.store_ids)})


def decode_control(data: bytes) -> ControlMessage:
    name, record = push_codec().decode(data)
    if name == CONFIG_SNAPSHOT:
        return ConfigSnapshot(
            control_id=record["control_id"], version=record["version"],
            stores=tuple(store_from_avro(s) for s in record["stores"]),
            rules=tuple(rule_from_avro(r) for r in record["rules"]),
        )
    if name == WINDOW_TICK:
        return WindowTick(control_id=record["control_id"])
    _expect(name, REFRESH_REQUESTED)
    return RefreshRequested(control_id=record["control_id"],
                            store_ids=tuple(record["store_ids"]))


def is_control(data: bytes | None) -> bool:
    """True for a control message (not a stock event) on the stock-events topic."""
    if data is None:
        return False
    codec = push_codec()
    if not codec.knows(data):
        return False
    return codec.decode(data)[0] in CONTROL_NAMES


def _expect(actual: str, expected: str) -> None:
    if actual != expected:
        from .errors import MalformedBodyError

        raise MalformedBodyError(f"expected a {expected}, got a {actual}")
