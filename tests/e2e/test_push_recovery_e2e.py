"""A push whose outcome the broker refuses: its command is not committed, and it comes again
from the committed offset once the broker takes outcomes again, even as the last command of its
partition (nothing after it would reveal the gap)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from stocksync.domain.events import StockReceivedManually
from stocksync.domain.sync import SyncStatus
from stocksync.kafka_security import client_options
from stocksync.settings import Settings
from stocksync.topic_reader import group_offsets, read_to_end
from stocksync.topics import PUSH_COMMANDS, PUSH_RESULTS
from tests.e2e.marketplace import MarketplaceProcess
from tests.e2e.pipeline import (
    Events,
    listing_shows,
    publish,
    put_config,
    records_of,
    rule,
    running_marketplace,
    store,
    wait_for_config,
)
from tests.harness import WorkerProcess, eventually

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def marketplace(topics: Settings) -> Iterator[MarketplaceProcess]:
    with running_marketplace(topics, rate_limit=50.0) as process:
        yield process


@pytest.fixture(scope="module")
def worker(workers, topics: Settings, marketplace: MarketplaceProcess) -> WorkerProcess:
    put_config(topics, [store("R1", marketplace)], [rule("refused", "WH-R", ["R1"])])
    running = workers.start("push")
    wait_for_config(running, topics)
    return running


def set_push_results_limit(settings: Settings, max_message_bytes: int | None) -> None:
    """The largest record batch the broker takes on push-results (None: the default)."""
    resource = ConfigResource(ConfigResourceType.TOPIC, settings.topic(PUSH_RESULTS.name),
                              configs={"max.message.bytes": str(max_message_bytes)})
    admin = KafkaAdminClient(**client_options(settings))
    try:
        if max_message_bytes is None:
            admin.reset_configs([resource])
        else:
            admin.alter_configs([resource])
    finally:
        admin.close()


def uncommitted_commands(settings: Settings) -> int:
    """push-commands messages the worker's group has not committed past."""
    topic = settings.topic(PUSH_COMMANDS.name)
    partitions = [TopicPartition(topic, p) for p in range(settings.partitions)]
    admin = KafkaAdminClient(**client_options(settings))
    consumer = KafkaConsumer(**client_options(settings))
    try:
        committed = group_offsets(admin, settings.app_id)
        ends = consumer.end_offsets(partitions)
    finally:
        admin.close()
        consumer.close()
    return sum(ends[tp] - max(0, committed[tp].offset if tp in committed else 0)
               for tp in partitions)


def results_for(settings: Settings, record_id: str) -> int:
    return sum(1 for message in read_to_end(settings, settings.topic(PUSH_RESULTS.name))
               if message.key == record_id.encode())


def recoveries(worker: WorkerProcess) -> int:
    return worker.log_path.read_text(errors="replace").count('"push_lanes_recovering"')


def test_a_refused_outcome_is_pushed_again_once_the_broker_takes_it(
        worker, topics, marketplace) -> None:
    e = Events("REFUSED", "WH-R")
    publish(topics, [e.mapped("R1", "R1-REFUSED")])
    listing_shows(marketplace, "R1", "R1-REFUSED", 0)
    eventually(lambda: True if uncommitted_commands(topics) == 0 else None, timeout_s=60,
               what="the mapping's push command to be committed")
    # Step 1: the broker refuses every push result (no record batch is that small); the push
    # itself reaches the marketplace, its outcome cannot be logged.
    set_push_results_limit(topics, 1)
    try:
        publish(topics, [e(StockReceivedManually, qty=5)])
        listing_shows(marketplace, "R1", "R1-REFUSED", 5)
        eventually(lambda: True if recoveries(worker) >= 1 else None, timeout_s=60,
                   what="the worker to recover from the refused outcome")
        (pushed,) = [r for r in records_of(topics, "REFUSED") if r.after_qty == 5]
        assert 0 == results_for(topics, pushed.record_id)
        assert 1 == uncommitted_commands(topics), "a command without an outcome was committed"
    finally:
        # Step 2: the broker takes outcomes again.
        set_push_results_limit(topics, None)
    # Step 3: the command came again from the committed offset (it is its partition's last, so
    # only a seek brings it), its outcome is logged, and it is committed; the marketplace
    # applied it once.
    eventually(lambda: True if uncommitted_commands(topics) == 0 else None, timeout_s=90,
               what="the refused command to be pushed again and committed")
    assert results_for(topics, pushed.record_id) >= 1
    (final,) = [r for r in records_of(topics, "REFUSED") if r.record_id == pushed.record_id]
    assert SyncStatus.SUCCESSFULLY is final.status
    assert 1 == marketplace.applied()[pushed.record_id]
