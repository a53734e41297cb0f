"""Shared fixtures: one real Kafka broker per test session, uuid-named topics per test module,
and real worker processes."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import (
    KafkaEndpoint,
    WorkerProcess,
    docker_engine_answers,
    wait_for_kafka,
)
from stocksync.settings import Settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def kafka() -> Iterator[KafkaEndpoint]:
    """A real broker: KAFKA_BOOTSTRAP_SERVERS if set, else testcontainers when a Docker engine
    answers, else the project's local broker. No broker is a failure, never a skip."""
    configured = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if configured:
        wait_for_kafka(configured, timeout_s=30)
        yield KafkaEndpoint(configured, "external")
        return
    if docker_engine_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("confluentinc/cp-kafka:8.0.0").with_kraft() as container:
            bootstrap = container.get_bootstrap_server()
            wait_for_kafka(bootstrap, timeout_s=60)
            yield KafkaEndpoint(bootstrap, "testcontainers")
        return
    from stocksync.local_kafka import LocalBroker

    broker = LocalBroker(home=REPO / ".stocksync" / "kafka")
    if broker.pid() is None and broker.accepts_clients():
        # A local broker started from another checkout (`stocksync kafka start`) already serves.
        wait_for_kafka(broker.bootstrap, timeout_s=30)
        yield KafkaEndpoint(broker.bootstrap, "local")
        return
    started = broker.start()
    try:
        yield KafkaEndpoint(broker.bootstrap, "local")
    finally:
        if started:
            broker.stop()


@pytest.fixture(scope="module")
def namespace(kafka: KafkaEndpoint, tmp_path_factory: pytest.TempPathFactory,
              request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings for one test module: its own topic prefix, application id and state folder.
    Its topics are deleted after the module if every test of it passed (kept to look at if
    one failed): a local broker kept thousands of partitions from test runs, and latency runs
    on it were slower than on a fresh one."""
    tag = uuid.uuid4().hex[:10]
    home = tmp_path_factory.mktemp(f"stocksync-{tag}")
    settings = Settings(
        kafka_bootstrap_servers=kafka.bootstrap,
        topic_prefix=f"t{tag}.",
        app_id=f"stocksync-test-{tag}",
        partitions=4,
        home=home,
        log_format="json",
        batch_within_s=0.02,
    )
    failed_before = request.session.testsfailed
    yield settings
    if request.session.testsfailed == failed_before:
        _drop_quietly(settings)


def _drop_quietly(settings: Settings) -> None:
    from stocksync.topic_admin import drop_namespace_topics

    try:
        drop_namespace_topics(settings)
    except Exception as exc:  # noqa: BLE001 - tidying up: never a test's failure
        print(f"could not delete the topics of {settings.topic_prefix}: {exc!r}",
              file=sys.stderr)


@pytest.fixture(scope="module")
def topics(namespace: Settings) -> Settings:
    from stocksync.topic_admin import create_topics

    create_topics(namespace)
    return namespace


class WorkerFactory:
    """Starts workers of one application on free ports; stops them all at teardown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workers: list[WorkerProcess] = []

    def start(self, name: str = "a", *, wait: bool = True) -> WorkerProcess:
        worker = WorkerProcess.in_home(name, self.settings)
        worker.start()
        self.workers.append(worker)
        if wait:
            worker.wait_until_serving()
        return worker

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture(scope="module")
def workers(topics: Settings) -> Iterator[WorkerFactory]:
    factory = WorkerFactory(topics)
    yield factory
    factory.stop_all()

