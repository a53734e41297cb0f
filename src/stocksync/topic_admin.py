"""Creates the project's topics on a cluster and checks the ones that exist."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError
from mode.utils.times import want_seconds

from stocksync.kafka_security import client_options
from stocksync.logs import get_logger
from stocksync.settings import Settings
from stocksync.topics import ALL_TOPICS, TopicSpec

log = get_logger(__name__)


class TopicMismatchError(RuntimeError):
    """An existing topic has a partition count other than the one the project needs."""


@dataclass(frozen=True)
class TopicState:
    name: str
    partitions: int
    created: bool


def admin_client(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(
        **client_options(settings),
        client_id=f"{settings.app_id}-admin",
        request_timeout_ms=30_000,
    )


def create_topics(settings: Settings, specs: Iterable[TopicSpec] = ALL_TOPICS) -> list[TopicState]:
    """Create every missing topic; verify the partition count of those that exist."""
    admin = admin_client(settings)
    try:
        return [_ensure_topic(admin, settings, spec) for spec in specs]
    finally:
        admin.close()


def create_changelog_topics(settings: Settings, tables: Iterable[Any]) -> list[TopicState]:
    """Create the changelog topics of faust `tables`, configured as faust would, before the
    worker starts. faust creates them itself at start-up, but its clients' metadata may then
    still describe a topic created a moment before with no partitions, and a table written
    that early (`push-progress`, at the first push command, on a new broker) failed with
    PartitionsMismatch ("the changelog topic has 0 partitions") and stopped its agent."""
    admin = admin_client(settings)
    try:
        return [_ensure(admin, topic.get_topic_name(), table.partitions or settings.partitions,
                        settings.replication_factor, _changelog_config(topic))
                for table in tables for topic in [table.changelog_topic]]
    finally:
        admin.close()


def _changelog_config(topic: Any) -> dict[str, str]:
    """What faust's aiokafka transport asks for when it creates `topic` (`_topic_config`)."""
    flags = [flag for flag, on in (("compact", topic.compacting), ("delete", topic.deleting)) if on]
    config = {"cleanup.policy": ",".join(flags)} if flags else {}
    if topic.retention:
        config["retention.ms"] = str(int(want_seconds(topic.retention) * 1000))
    config.update({key: str(value) for key, value in (topic.config or {}).items()})
    return config


def _ensure_topic(admin: KafkaAdminClient, settings: Settings, spec: TopicSpec) -> TopicState:
    return _ensure(admin, settings.topic(spec.name), spec.partition_count(settings),
                   settings.replication_factor, spec.config_for(settings))


def _ensure(admin: KafkaAdminClient, name: str, wanted: int, replication: int,
            config: dict[str, str]) -> TopicState:
    new = NewTopic(name=name, num_partitions=wanted, replication_factor=replication,
                   topic_configs=config)
    try:
        admin.create_topics([new])
        log.info("topic_created", topic=name, partitions=wanted, **_log_config(config))
        return TopicState(name, wanted, created=True)
    except TopicAlreadyExistsError:
        actual = _partition_count(admin, name)
        if actual != wanted:
            # A SKU's events, state and pushes must stay on one partition number.
            raise TopicMismatchError(
                f"topic {name} has {actual} partitions, stocksync is configured for {wanted} "
                "(STOCKSYNC_PARTITIONS); recreate it or change the setting"
            ) from None
        return TopicState(name, actual, created=False)


def _partition_count(admin: KafkaAdminClient, name: str, timeout_s: float = 10.0) -> int:
    """Its partition count, once the broker describes it (a topic another client created a
    moment ago may still be described with none: the broker's metadata lags its creation)."""
    deadline = time.monotonic() + timeout_s
    while True:
        (described,) = admin.describe_topics([name])
        if described["partitions"] or time.monotonic() > deadline:
            return len(described["partitions"])
        time.sleep(0.2)


def _log_config(config: dict[str, str]) -> dict[str, str]:
    return {key.replace(".", "_"): value for key, value in config.items()}


def drop_namespace_topics(settings: Settings) -> int:
    """Delete every topic of the settings' namespace: its topics (named from the topic prefix)
    and its applications' changelogs and internal topics (from the application id). How many.
    For namespaces made to be thrown away (tests, benchmarks): both names must be set, or
    every topic of the broker would match."""
    if not settings.topic_prefix or not settings.app_id:
        raise ValueError("a namespace to drop needs its own topic prefix and application id")
    admin = admin_client(settings)
    try:
        names = [name for name in admin.list_topics()
                 if name.startswith((settings.topic_prefix, settings.app_id))]
        if names:
            admin.delete_topics(names)
        return len(names)
    finally:
        admin.close()


def delete_topics(settings: Settings, names: Iterable[str]) -> None:
    admin = admin_client(settings)
    try:
        admin.delete_topics(list(names))
    finally:
        admin.close()
