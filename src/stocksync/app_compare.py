"""`stocksync compare`: what two applications derived from the same log, side by side.

Each application is read from Kafka alone (no worker needs to run): its tables from their
changelog topics (the latest value per partition and key, as a restore would), and its sync
records from its `sync-records` topic (the latest value per record id, as compaction keeps).

- Stock is compared by meaning: a SKU's value together with its order rows, read the way the
  fold reads them. The rows' bytes name the batch that wrote them, and batches are cut by
  timing, so the bytes of two identical folds may differ; their meaning may not.
- Sync records are compared field by field (ids, quantities, SKIPPED markers, statuses).
- Every other table (event ids, last pushes, the history and sync-log views) by its bytes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer

from stocksync.domain.orders import EMPTY_ORDER_BOOK
from stocksync.domain.stock import stock_view
from stocksync.kafka_security import client_options
from stocksync.schemas.push_codec import decode_sync_record, sync_record_to_avro
from stocksync.settings import Settings
from stocksync.streams.fold_io import is_sku_key
from stocksync.streams.order_entries import orders_as_of
from stocksync.streams.state_codec import decode_stored
from stocksync.topic_reader import iter_records
from stocksync.topics import SYNC_RECORDS

# Tables compared by their bytes: nothing in them depends on how the log was cut into batches.
BYTE_TABLES = ("event-ids", "last-pushed", "history-records", "history-by-time",
               "sync-recording", "push-records", "sync-log-entries")
READ_STALL_S = 60.0  # a read that makes no progress for this long fails

Key = tuple[int, bytes]  # (partition, key)


class UnknownApplication(LookupError):
    """Nothing of the application is on the cluster: most likely a mistyped id."""


@dataclass(frozen=True)
class Difference:
    key: str
    a: str | None  # what A holds (None: nothing)
    b: str | None


@dataclass
class Section:
    name: str
    count_a: int
    count_b: int
    differences: list[Difference] = field(default_factory=list)


@dataclass
class Comparison:
    app_a: str
    app_b: str
    sections: list[Section]

    @property
    def identical(self) -> bool:
        return not any(section.differences for section in self.sections)

    def as_dict(self) -> dict[str, Any]:
        return {"app_a": self.app_a, "app_b": self.app_b, "identical": self.identical,
                "sections": [dataclasses.asdict(section) for section in self.sections]}


def compare_apps(settings: Settings, app_a: str, app_b: str) -> Comparison:
    """Compare applications `app_a` and `app_b` (each the settings' own app or a replay)."""
    a, b = settings.for_app(app_a), settings.for_app(app_b)
    topics = _existing_topics(settings)
    for app in (a, b):
        if changelog_topic(app, "stock") not in topics:
            raise UnknownApplication(f"application {app.app_id} has no stock table on this "
                                     f"cluster ({changelog_topic(app, 'stock')} does not exist)")
    sections = [
        _compare("stock", _stock(a, topics), _stock(b, topics), _describe_stock),
        _compare("sync-records", _records(a, topics), _records(b, topics), _describe_record,
                 _record_difference),
    ]
    for table in BYTE_TABLES:
        sections.append(_compare(table, _table(a, table, topics), _table(b, table, topics),
                                 _describe_bytes))
    return Comparison(app_a, app_b, sections)


def changelog_topic(settings: Settings, table: str) -> str:
    """faust's name for a table's changelog: `<app id>-<table>-changelog`."""
    return f"{settings.app_id}-{table}-changelog"


# -- reading -------------------------------------------------------------------------------------

def _existing_topics(settings: Settings) -> set[str]:
    consumer = KafkaConsumer(**client_options(settings))
    try:
        return set(consumer.topics())
    finally:
        consumer.close()


def _latest(settings: Settings, topic: str, topics: set[str]) -> dict[Key, bytes]:
    """The latest value per (partition, key) of a compacted topic; deleted keys are absent."""
    if topic not in topics:
        return {}
    latest: dict[Key, bytes] = {}
    for message in iter_records(settings, topic, timeout_s=READ_STALL_S):
        key = (message.partition, message.key)
        if message.value is None:
            latest.pop(key, None)
        else:
            latest[key] = message.value
    return latest


def _table(settings: Settings, table: str, topics: set[str]) -> dict[Key, bytes]:
    return _latest(settings, changelog_topic(settings, table), topics)


def _stock(settings: Settings, topics: set[str]) -> dict[Key, Any]:
    """(partition, key) -> a SKU's state with its orders, or a control entry's bytes."""
    values = _table(settings, "stock", topics)
    rows_by_sku: dict[Key, list[tuple[bytes, bytes]]] = {}
    for (partition, row_key), raw in _table(settings, "orders", topics).items():
        size = int.from_bytes(row_key[:2], "big")
        rows_by_sku.setdefault((partition, row_key[2:2 + size]), []).append((row_key, raw))
    stock: dict[Key, Any] = {}
    for (partition, key), raw in values.items():
        if not is_sku_key(key):
            stock[(partition, key)] = raw
            continue
        stored = decode_stored(raw)
        orders, _ = orders_as_of(rows_by_sku.get((partition, key), ()), stored.applied_offset)
        orders.update(stored.stock.orders.items())  # a value written before order rows
        stock[(partition, key)] = (dataclasses.replace(
            stored, stock=dataclasses.replace(stored.stock, orders=EMPTY_ORDER_BOOK),
            listings=stored.listings_or_empty()),
            dict(sorted(orders.items())))
    return stock


def _records(settings: Settings, topics: set[str]) -> dict[Key, Any]:
    return {key: decode_sync_record(raw) for key, raw in
            _latest(settings, settings.topic(SYNC_RECORDS.name), topics).items()}


# -- comparing -----------------------------------------------------------------------------------

def _compare(name: str, a: Mapping[Key, Any], b: Mapping[Key, Any],
             describe: Callable[[Any], str],
             differ: Callable[[Any, Any], tuple[str, str]] | None = None) -> Section:
    section = Section(name, len(a), len(b))
    for key in sorted(set(a) | set(b)):
        left, right = a.get(key), b.get(key)
        if left == right:
            continue
        if left is not None and right is not None and differ is not None:
            shown_a, shown_b = differ(left, right)
        else:
            shown_a = None if left is None else describe(left)
            shown_b = None if right is None else describe(right)
        section.differences.append(Difference(_show_key(key), shown_a, shown_b))
    return section


def _show_key(key: Key) -> str:
    partition, raw = key
    return f"{raw.decode(errors='backslashreplace')} (partition {partition})"


def _describe_stock(value: Any) -> str:
    if isinstance(value, bytes):
        return _describe_bytes(value)
    stored, orders = value
    return (f"{stock_view(stored.stock)['total']} at offset {stored.applied_offset}, "
            f"{len(orders)} orders, {len(stored.listings_or_empty().listings)} listings")


def _describe_record(record: Any) -> str:
    return (f"{record.status.value} {record.store_id}/{record.store_sku} qty "
            f"{record.after_qty}")


def _record_difference(a: Any, b: Any) -> tuple[str, str]:
    fields_a, fields_b = sync_record_to_avro(a), sync_record_to_avro(b)
    changed = [name for name in fields_a if fields_a[name] != fields_b[name]]
    return (", ".join(f"{name}={fields_a[name]!r}" for name in changed),
            ", ".join(f"{name}={fields_b[name]!r}" for name in changed))


def _describe_bytes(value: bytes) -> str:
    return f"{len(value)} bytes {value[:24].hex()}{'…' if len(value) > 24 else ''}"


def render(comparison: Comparison, limit: int = 20) -> Iterable[str]:
    """The comparison as text: a line per section, then up to `limit` differences each."""
    yield f"compare {comparison.app_a} (A) with {comparison.app_b} (B)"
    for section in comparison.sections:
        found = len(section.differences)
        verdict = "no difference" if not found else f"{found:,} differences"
        yield f"  {section.name:<18} A {section.count_a:>9,}  B {section.count_b:>9,}  {verdict}"
        for difference in section.differences[:limit]:
            yield f"    {difference.key}"
            yield f"      A: {difference.a if difference.a is not None else '(absent)'}"
            yield f"      B: {difference.b if difference.b is not None else '(absent)'}"
        if found > limit:
            yield f"    … and {found - limit:,} more"
    yield "identical" if comparison.identical else "different"
