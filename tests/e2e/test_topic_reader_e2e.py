"""Reading the log as the agents do, from a transactional producer's partition: records of
committed transactions only, markers and aborted records as offsets without a record."""

from __future__ import annotations

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from stocksync.kafka_security import client_options
from stocksync.settings import Settings
from stocksync.topic_reader import end_offsets, existing_offsets, iter_records

pytestmark = pytest.mark.kafka


@pytest.fixture(scope="module")
def transactional_topic(namespace: Settings) -> str:
    """One partition: a committed transaction of 2 records (offsets 0-1, marker 2), an aborted
    one (3-4, marker 5), a committed one (6-7, marker 8): the log ends on a marker."""
    topic = namespace.topic("transactional")
    admin = KafkaAdminClient(**client_options(namespace))
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()
    producer = KafkaProducer(**client_options(namespace), acks="all", enable_idempotence=True,
                             transactional_id=f"{namespace.app_id}-reader-test")
    producer.init_transactions()
    for n in range(3):
        producer.begin_transaction()
        for part in (b"a", b"b"):
            producer.send(topic, key=b"k", value=b"%d%s" % (n, part))
        producer.flush()
        (producer.abort_transaction if n == 1 else producer.commit_transaction)()
    producer.close()
    return topic


def test_the_log_is_read_without_aborted_records(namespace: Settings,
                                                 transactional_topic: str) -> None:
    records = list(iter_records(namespace, transactional_topic, timeout_s=10))
    assert [(0, b"0a"), (1, b"0b"), (6, b"2a"), (7, b"2b")] == \
        [(r.offset, r.value) for r in records]
    assert {0: 9} == end_offsets(namespace, transactional_topic)


def test_offsets_that_hold_a_record_and_how_far_the_answer_goes(
        namespace: Settings, transactional_topic: str) -> None:
    assert ([0, 1, 6, 7], 9) == existing_offsets(namespace, transactional_topic, 0, 0)
    assert ([6, 7], 9) == existing_offsets(namespace, transactional_topic, 0, 2)
    # At most `limit` offsets: the answer is complete up to the last one listed.
    assert ([1, 6], 7) == existing_offsets(namespace, transactional_topic, 0, 1, limit=2)
    assert ([], 9) == existing_offsets(namespace, transactional_topic, 0, 9)
