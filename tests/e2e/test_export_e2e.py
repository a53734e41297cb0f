"""`stocksync export` against the real broker, and the round trip: export stock-events of
namespace A to Avro, publish the file into a fresh namespace B, and B's worker shows the same
stock as A's for every SKU, equal to the plain-Python fold."""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import avro.datafile
import avro.io
import fastavro
import pyarrow.parquet as pq
import pytest

from stocksync.config_admin import ConfigWriter
from stocksync.domain.stock import fold, stock_view
from stocksync.domain.sync import ConnectorSettings, Store, SyncStatus
from stocksync.exporting.columns import TableLayout
from stocksync.exporting.exporter import TopicExport
from stocksync.exporting.values import topic_values
from stocksync.projections.sync_history import read_sync_records
from stocksync.projections.time_ranges import TimeRange
from stocksync.publisher import StockEventPublisher
from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import is_control
from stocksync.settings import Settings
from stocksync.topic_admin import create_topics
from stocksync.topic_reader import read_to_end
from stocksync.topics import PUSH_COMMANDS, PUSH_RESULTS, STOCK_EVENTS, SYNC_RECORDS
from tests.conftest import WorkerFactory
from tests.e2e.pipeline import rule, wait_for_config
from tests.e2e.test_fold_e2e import every_reason, publish, run_cli, stock_of
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka

SKUS = [f"EXPORT-{n}" for n in range(1, 7)]
GARBAGE = b"\x00 not avro: the fold dead-letters it, the export leaves it out"


def history() -> list:
    return [event for sku in SKUS for event in every_reason(sku)]


def expected_views() -> dict[str, dict]:
    result = fold(history())
    assert () == result.rejected  # every event is applicable: the stock moves on each
    return {sku: stock_view(result.states[sku]) for sku in SKUS}


@pytest.fixture(scope="module")
def source(workers, topics: Settings) -> WorkerProcess:
    """Namespace A after its worker folded everything: a store on the memory connector and a
    rule (so config snapshots sit in every partition and pushes leave sync records and push
    results), every reason for six SKUs, a message that does not decode, and a refresh request
    broadcast into every partition."""
    writer = ConfigWriter(topics)
    writer.put_store(Store("S1", "S1 shop", "shopee", ConnectorSettings("memory")))
    writer.put_rule(rule("main", "WH-1", ["S1"]))
    worker = workers.start("a")
    wait_for_config(worker, topics)
    publish(topics, history())
    with StockEventPublisher(topics) as publisher:
        publisher.publish_raw(SKUS[0].encode(), GARBAGE)
    assert 200 == worker.post("/refresh", {"store_ids": ["S1"]})[0]
    for sku, view in expected_views().items():
        eventually(lambda: True if stock_of(worker, sku) == (200, view) else None,
                   timeout_s=60, what=f"A's stock of {sku}")
    eventually(lambda: True if pushes_settled(worker, topics) else None, timeout_s=90,
               what="every window closed and every push answered in A")
    return worker


def pushes_settled(worker: WorkerProcess, settings: Settings) -> bool:
    """No open window, every pushed record answered, none still PENDING: nothing more will be
    written to sync-records, push-commands or push-results."""
    stats = worker.stats()
    results = read_to_end(settings, settings.topic(PUSH_RESULTS.name))
    return (stats["open_windows"] == 0 and stats["records_pushed"] > 0
            and len(results) == stats["records_pushed"]
            and all(r.status is not SyncStatus.PENDING
                    for r in read_sync_records(settings).values()))


@pytest.fixture(scope="module")
def avro_export(source: WorkerProcess, topics: Settings,
                tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "stock-events.avro"
    result = run_cli(topics, "export", "stock-events", "--format", "avro", "--out", str(path))
    assert "exported" in result.stdout
    assert "left out 1 message(s) that do not decode" in result.stderr
    return path


@pytest.fixture(scope="module")
def replica(topics: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Namespace B: its own prefix, application id and home; the same partition count."""
    tag = uuid.uuid4().hex[:10]
    settings = topics.with_overrides(topic_prefix=f"t{tag}.", app_id=f"stocksync-test-{tag}",
                                     home=tmp_path_factory.mktemp(f"stocksync-{tag}"))
    create_topics(settings)
    return settings


@pytest.fixture(scope="module")
def replica_workers(replica: Settings) -> Iterator[WorkerFactory]:
    factory = WorkerFactory(replica)
    yield factory
    factory.stop_all()


def decodable(settings: Settings) -> list:
    return [r for r in read_to_end(settings, settings.topic(STOCK_EVENTS.name))
            if r.value != GARBAGE]


def test_the_avro_export_holds_every_decodable_message_for_both_avro_readers(
        avro_export: Path, topics: Settings) -> None:
    """Every event and control message of A's log, in partition and offset order, with its
    metadata; fastavro and the Apache package read the same rows."""
    logged = decodable(topics)
    with avro_export.open("rb") as file:
        reader = fastavro.reader(file, return_record_name=True)
        assert (STOCK_EVENTS.name, str(topics.partitions)) == (
            reader.metadata["stocksync.topic"], reader.metadata["stocksync.partitions"])
        rows = list(reader)
    assert [(r.partition, r.offset, r.key.decode() if r.key else None) for r in logged] == [
        (row["partition"], row["offset"], row["key"]) for row in rows]
    for record, row in zip(logged, rows, strict=True):
        branch, datum = row["value"]
        assert branch == row["type"]
        if not is_control(record.value):
            event = default_codec().decode(record.value)
            assert branch.endswith(f".{type(event).__name__}")
            assert event.event_id == datum["event_id"]
    kinds = Counter(row["type"] for row in rows)
    assert len(history()) == sum(n for kind, n in kinds.items()
                                 if kind.startswith("io.stocksync.events."))
    # In every partition a configuration snapshot per config change (the store, the rule) and
    # the refresh request.
    assert (2 * topics.partitions, topics.partitions) == (
        kinds["io.stocksync.control.ConfigSnapshot"],
        kinds["io.stocksync.control.RefreshRequested"])
    with avro.datafile.DataFileReader(avro_export.open("rb"), avro.io.DatumReader()) as apache:
        assert [(row["partition"], row["offset"], row["type"]) for row in rows] == [
            (row["partition"], row["offset"], row["type"]) for row in apache]


def test_publishing_the_export_into_a_fresh_cluster_gives_the_same_stock(
        avro_export: Path, source: WorkerProcess, topics: Settings, replica: Settings,
        replica_workers: WorkerFactory) -> None:
    """B's log gets A's decodable messages partition by partition in A's order; B's worker
    folds them into A's stock, which is the plain-Python fold's, and applies A's
    configuration."""
    published = run_cli(replica, "publish", str(avro_export))
    assert f"to {replica.topic(STOCK_EVENTS.name)}" in published.stdout

    def log_of(settings: Settings) -> list[tuple[int, bytes | None, bytes]]:
        return [(r.partition, r.key, r.value) for r in decodable(settings)]

    assert log_of(topics) == log_of(replica)
    worker = replica_workers.start("b")
    for sku, view in expected_views().items():
        eventually(lambda: True if stock_of(worker, sku) == (200, view) else None,
                   timeout_s=60, what=f"B's stock of {sku}")
        assert stock_of(source, sku) == stock_of(worker, sku)
    assert source.stats()["config_versions"] == worker.stats()["config_versions"]


def test_since_and_until_split_the_log_at_an_instant(source: WorkerProcess,
                                                     topics: Settings, tmp_path: Path) -> None:
    """Messages logged at or after --since, and those logged before --until, partition the log
    (the broker's time index finds both ends)."""
    logged = read_to_end(topics, topics.topic(STOCK_EVENTS.name))
    instant = sorted(r.timestamp for r in logged)[len(logged) // 2]

    def exported(window: TimeRange) -> set[tuple[int, int]]:
        with TopicExport(topics, STOCK_EVENTS.name, window) as export:
            export.write("csv", tmp_path / "part.csv")
        with (tmp_path / "part.csv").open(newline="") as text:
            return {(int(row["partition"]), int(row["offset"])) for row in csv.DictReader(text)}

    later, earlier = exported(TimeRange(instant, None)), exported(TimeRange(None, instant))
    assert {(r.partition, r.offset) for r in logged if r.timestamp >= instant
            and r.value != GARBAGE} == later
    assert {(r.partition, r.offset) for r in logged if r.timestamp < instant
            and r.value != GARBAGE} == earlier


@pytest.mark.parametrize("name", [SYNC_RECORDS.name, PUSH_RESULTS.name, PUSH_COMMANDS.name])
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_push_topics_export_a_row_per_message_with_a_column_per_field(
        name: str, fmt: str, source: WorkerProcess, topics: Settings, tmp_path: Path) -> None:
    """The rows are the topic's messages (read_to_end's, in its order), the columns the
    metadata then the record's fields."""
    logged = read_to_end(topics, topics.topic(name))
    assert logged, f"A's {name} is empty: the fixture made no pushes"
    path = tmp_path / f"{name}.{fmt}"
    result = run_cli(topics, "export", name, "--format", fmt, "--out", str(path))
    assert f"exported {len(logged)} messages" in result.stdout
    values = topic_values(name)
    expected_columns = [c.name for c in TableLayout(values).columns(values.record_names)]
    if fmt == "parquet":
        table = pq.read_table(path)
        columns, rows = table.column_names, table.to_pylist()
    else:
        with path.open(newline="", encoding="utf-8") as text:
            reader = csv.DictReader(text)
            columns, rows = list(reader.fieldnames or ()), list(reader)
    assert expected_columns == columns
    assert [(r.partition, r.offset, r.key.decode()) for r in logged] == [
        (int(row["partition"]), int(row["offset"]), row["key"]) for row in rows]
    assert {values.record_names[0]} == {row["type"] for row in rows}
    decoded = [values.decode(r.value)[1]["record_id"] for r in logged]
    assert decoded == [row["record_id"] for row in rows]
