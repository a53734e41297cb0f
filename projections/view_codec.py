"""Bytes of the sync-history views and the sync log entries, for RocksDB tables and changelogs:
Avro single-object encoding (the project's `ObjectCodec`: the fingerprint of the writer's schema,
then the body), records in the `SyncRecord` schema of the sync-records topic via `push_codec`. A
view's schema embeds the record schema, so a changed record schema changes the views'
fingerprints too and old bytes are refused (`UnknownSchemaError`) instead of misread: rebuild the
tables from the topics."""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from stocksync.projections.sync_logs import SubjectSummary, SyncLogEntry, SyncLogKind, SyncLogStatus
from stocksync.projections.views import ListingHistory, SkuSummary
from stocksync.schemas.errors import MalformedBodyError
from stocksync.schemas.object_codec import ObjectCodec
from stocksync.schemas.push_codec import sync_record_from_avro, sync_record_to_avro

NAMESPACE = "io.stocksync.projections"
LISTING_HISTORY = f"{NAMESPACE}.ListingHistory"
SKU_SUMMARY = f"{NAMESPACE}.SkuSummary"
SYNC_LOG_ENTRY = f"{NAMESPACE}.SyncLogEntry"
SUBJECT_SUMMARY = f"{NAMESPACE}.SubjectSummary"


def encode_listing_history(view: ListingHistory) -> bytes:
    return _codec().encode(LISTING_HISTORY, {
        "store_id": view.store_id, "store_sku": view.store_sku,
        "records": [sync_record_to_avro(r) for r in view.records],
    })


def decode_listing_history(data: bytes) -> ListingHistory:
    d = _decoded(data, LISTING_HISTORY)
    return ListingHistory(d["store_id"], d["store_sku"],
                          tuple(sync_record_from_avro(r) for r in d["records"]))


def encode_sku_summary(view: SkuSummary) -> bytes:
    return _codec().encode(SKU_SUMMARY, {
        "merchant_sku": view.merchant_sku, "latest": sync_record_to_avro(view.latest),
        "sync_record_ids": sorted(view.sync_record_ids),
    })


def decode_sku_summary(data: bytes) -> SkuSummary:
    d = _decoded(data, SKU_SUMMARY)
    return SkuSummary(d["merchant_sku"], sync_record_from_avro(d["latest"]),
                      frozenset(d["sync_record_ids"]))


def encode_sync_log_entry(entry: SyncLogEntry) -> bytes:
    return _codec().encode(SYNC_LOG_ENTRY, _entry_to_avro(entry))


def decode_sync_log_entry(data: bytes) -> SyncLogEntry:
    return _entry_from_avro(_decoded(data, SYNC_LOG_ENTRY))


def encode_subject_summary(view: SubjectSummary) -> bytes:
    return _codec().encode(SUBJECT_SUMMARY, {"latest": _entry_to_avro(view.latest)})


def decode_subject_summary(data: bytes) -> SubjectSummary:
    latest = _entry_from_avro(_decoded(data, SUBJECT_SUMMARY)["latest"])
    return SubjectSummary(latest.kind, latest.store_id, latest.subject_id, latest)


def sync_log_entry_schema() -> dict[str, Any]:
    def enum_of(name: str, symbols: Iterable[enum.Enum]) -> dict[str, Any]:
        return {"type": "enum", "name": name, "symbols": [s.value for s in symbols]}

    optional = ["null", "string"]
    return _record(
        "SyncLogEntry", "One sync of one product, order, customer or refund to one store.",
        ("record_id", "string"), ("kind", enum_of("SyncLogKind", SyncLogKind)),
        ("subject_id", "string"), ("store_id", "string"), ("marketplace", "string"),
        ("status", enum_of("SyncLogStatus", SyncLogStatus)), ("occurred_at", "long"),
        ("log_time", "long"), ("attempt", "int"), ("failure_code", optional),
        ("failure_message", optional), ("details", {"type": "map", "values": "string"}),
    )


def _entry_to_avro(entry: SyncLogEntry) -> dict[str, Any]:
    return {
        "record_id": entry.record_id, "kind": entry.kind.value, "subject_id": entry.subject_id,
        "store_id": entry.store_id, "marketplace": entry.marketplace,
        "status": entry.status.value, "occurred_at": entry.occurred_at,
        "log_time": entry.log_time, "attempt": entry.attempt,
        "failure_code": entry.failure_code, "failure_message": entry.failure_message,
        "details": dict(entry.details),
    }


def _entry_from_avro(d: dict[str, Any]) -> SyncLogEntry:
    return SyncLogEntry(
        record_id=d["record_id"], kind=SyncLogKind(d["kind"]), subject_id=d["subject_id"],
        store_id=d["store_id"], marketplace=d["marketplace"], status=SyncLogStatus(d["status"]),
        occurred_at=d["occurred_at"], log_time=d["log_time"], attempt=d["attempt"],
        failure_code=d["failure_code"], failure_message=d["failure_message"],
        details=tuple(sorted(d["details"].items())),
    )


def sync_record_schema() -> dict[str, Any]:
    """The schema of the sync-records topic's values."""
    text = resources.files("stocksync.schemas").joinpath("push/SyncRecord.avsc").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


@functools.cache
def _codec() -> ObjectCodec:
    strings = {"type": "array", "items": "string"}
    return ObjectCodec([
        _record("ListingHistory", "The Push Record view of one store SKU: its latest records.",
                ("store_id", "string"), ("store_sku", "string"),
                ("records", {"type": "array", "items": sync_record_schema()})),
        _record("SkuSummary", "The Sync Recording view of one merchant SKU: its latest sync.",
                ("merchant_sku", "string"), ("latest", sync_record_schema()),
                ("sync_record_ids", strings)),
        sync_log_entry_schema(),
        _record("SubjectSummary", "A sync log's row of one subject in one store.",
                ("latest", sync_log_entry_schema())),
    ])


def _record(name: str, doc: str, *fields: tuple[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": NAMESPACE, "doc": doc,
            "fields": [{"name": n, "type": t} for n, t in fields]}


def _decoded(data: bytes, expected: str) -> dict[str, Any]:
    name, decoded = _codec().decode(data)
    if name != expected:
        raise MalformedBodyError(f"expected a {expected}, got a {name}")
    return decoded
