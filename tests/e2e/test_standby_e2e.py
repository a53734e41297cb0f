"""Standby replicas, against the broker: with two workers each keeps the other's fold tables
from their changelogs (the consumer hands those records straight to faust's recovery buffers,
streams/faust_consumer.py). Every copy of a table partition on disk, active or standby, must
hold exactly what its changelog held up to the offset the copy says it has applied."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import rocksdict
from kafka import KafkaConsumer, TopicPartition

from stocksync.kafka_security import client_options
from stocksync.settings import Settings
from tests.e2e.test_restart_e2e import history, publish
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka

FOLD_TABLES = ("stock", "event-ids", "orders")
OFFSET_KEY = b"__faust\x00offset__"  # where faust's RocksDB store keeps a partition's offset
EVENTS = 3000  # enough changelog records that standby buffers (1,000 records) fill and apply


def changelog_prefix(settings: Settings, table: str, partition: int,
                     through: int) -> dict[bytes, bytes]:
    """The table partition its changelog describes, records up to offset `through` included."""
    tp = TopicPartition(f"{settings.app_id}-{table}-changelog", partition)
    consumer = KafkaConsumer(**client_options(settings), enable_auto_commit=False,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    rows: dict[bytes, bytes] = {}
    try:
        for record in consumer:
            if record.offset > through:
                break
            if record.value is None:
                rows.pop(record.key, None)
            else:
                rows[record.key] = record.value
            if record.offset == through:
                break
    finally:
        consumer.close()
    return rows


def copy_on_disk(worker: WorkerProcess, table: str, partition: int
                 ) -> tuple[int, dict[bytes, bytes]] | None:
    """(the offset the copy has applied, its rows), or None if the worker has no such copy."""
    path = Path(worker.settings.worker_data_dir) / "v1" / "tables" / f"{table}-{partition}.db"
    if not path.exists():
        return None
    db = rocksdict.Rdict(str(path), options=rocksdict.Options(raw_mode=True),
                         access_type=rocksdict.AccessType.read_only())
    try:
        rows = dict(db.items())
    finally:
        db.close()
    offset = rows.pop(OFFSET_KEY, None)
    return None if offset is None else (int(offset), rows)


def test_every_copy_of_a_fold_table_holds_what_its_changelog_holds(workers, topics) -> None:
    a, b = workers.start("a"), workers.start("b")

    def assignments() -> dict[str, list[int]] | None:
        owned = {w.name: w.stats()["assigned_partitions"] for w in (a, b)}
        together = sorted(owned["a"] + owned["b"])
        return owned if owned["a"] and owned["b"] and together == list(range(4)) else None

    eventually(assignments, timeout_s=90, what="both workers to own partitions")
    events = history(0, EVENTS)
    publish(topics, events)
    eventually(lambda: True if sum(w.stats()["applied"] for w in (a, b)) >= EVENTS else None,
               timeout_s=120, what="the two workers to fold every event")
    owned = assignments()
    assert owned is not None, "a rebalance during the run"
    time.sleep(3)  # the standbys read the last changelog records
    for worker in (a, b):  # kill -9: what is on disk is what was applied, no final flush
        worker.kill()

    standby_copies = 0
    for worker in (a, b):
        actives = set(owned[worker.name])
        for table in FOLD_TABLES:
            for partition in range(4):
                copy = copy_on_disk(worker, table, partition)
                if copy is None:
                    continue
                offset, rows = copy
                assert rows == changelog_prefix(topics, table, partition, offset), (
                    f"worker {worker.name}'s {table}-{partition} at offset {offset}")
                standby_copies += partition not in actives
    assert standby_copies, "no standby copy had applied anything: the test saw no standby"
