"""Reads of one worker's own partitions of a faust table, partition by partition.

faust 0.15.3 answers `table.get` outside a stream from any local partition, standbys included,
and iterates only actives but without saying which partition a key came from. The history API
must answer for exactly the partitions this worker owns (so that the answers of all workers
cover each partition once), and pruning must write a key back into its own partition. Both need
the RocksDB store's per-partition databases, which faust keeps in `Store._dbs`.
"""

from __future__ import annotations

import time

from collections.abc import Callable, Iterator
from typing import Any

import faust

from stocksync.logs import get_logger
from stocksync.projections.views import retention_cutoff

log = get_logger(__name__)


def active_partitions(app: faust.App, table: Any) -> list[int]:
    """The partitions of `table` this worker owns, once its tables are recovered; else none."""
    recovery = app.tables.recovery
    if app.rebalancing or recovery.in_recovery or not recovery.completed.is_set():
        return []
    topic = table.changelog_topic.get_topic_name()
    return sorted(tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic)


def prune_on_timer(app: faust.App, interval_s: float, retention_ms: int, table: Any,
                   prune: Callable[[int, int], int], event: str) -> None:
    """Every `interval_s`, `prune(partition, cutoff)` each partition of `table` this worker
    owns, with the cutoff of `retention_ms` before now; logs `event` with what it dropped."""
    async def prune_expired() -> None:
        cutoff = retention_cutoff(int(time.time() * 1000), retention_ms)
        for partition in active_partitions(app, table):
            dropped = prune(partition, cutoff)
            if dropped:
                log.info(event, partition=partition, dropped=dropped)

    app.timer(interval_s, name=event)(prune_expired)


def partition_items(table: Any, partition: int) -> Iterator[tuple[bytes, bytes]]:
    """Every (key, value) of one local partition of `table`; nothing if it is not open here."""
    store = table.data
    db = store._dbs.get(partition)
    if db is None:
        return iter(())
    return store._visible_items(db)


def partition_get(table: Any, partition: int, key: bytes) -> bytes | None:
    db = table.data._dbs.get(partition)
    return None if db is None else db.get(key)


def partition_keys_backwards(table: Any, partition: int, prefix: bytes,
                             before: bytes | None = None) -> Iterator[bytes]:
    """The keys of one local partition that start with `prefix`, greatest first, each less
    than `before` (None: from the greatest). RocksDB keeps keys sorted, so an index whose keys
    sort by time reads newest first without reading the rest."""
    db = table.data._dbs.get(partition)
    if db is None:
        return
    start = before if before is not None else prefix + b"\xff" * 16
    for key in db.keys(backwards=True, from_key=start):
        if not key.startswith(prefix):
            return
        if before is None or key < before:
            yield key


def partition_keys_from(table: Any, partition: int, prefix: bytes) -> Iterator[bytes]:
    """The keys of one local partition that start with `prefix`, least first."""
    db = table.data._dbs.get(partition)
    if db is None:
        return
    for key in db.keys(from_key=prefix):
        if not key.startswith(prefix):
            return
        yield key
