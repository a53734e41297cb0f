"""A benchmark's namespace goes from the broker with its run, and nothing else does."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from kafka.admin import NewTopic

from bench.namespace import bench_settings, drop_namespace
from stocksync.settings import Settings
from stocksync.topic_admin import admin_client, drop_namespace_topics

pytestmark = pytest.mark.kafka


def topic_names(settings: Settings) -> set[str]:
    admin = admin_client(settings)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def until(condition: Callable[[set[str]], bool], settings: Settings) -> set[str]:
    """The broker's topics once `condition` holds of them (creation and deletion are
    asynchronous on the broker), or after 10 s."""
    for _ in range(50):
        names = topic_names(settings)
        if condition(names):
            break
        time.sleep(0.2)
    return names


def test_dropping_a_namespace_deletes_its_topics_and_changelogs_only(
        kafka: object, namespace: Settings) -> None:
    settings = bench_settings(kafka_bootstrap_servers=namespace.kafka_bootstrap_servers)
    other = bench_settings(kafka_bootstrap_servers=namespace.kafka_bootstrap_servers)
    changelog = f"{settings.app_id}-push-last-pushed-changelog"  # as faust names one
    admin = admin_client(settings)
    try:
        admin.create_topics([NewTopic(changelog, 1, 1)])
    finally:
        admin.close()
    mine = {name for name in until(lambda names: changelog in names, settings)
            if name.startswith((settings.topic_prefix, settings.app_id))}
    assert changelog in mine and len(mine) >= 10
    assert len(mine) == drop_namespace(settings)
    left = until(lambda names: not mine & names, settings)
    assert not mine & left
    assert any(name.startswith(other.topic_prefix) for name in left)
    drop_namespace(other)


def test_a_namespace_not_of_a_benchmark_is_refused(namespace: Settings) -> None:
    with pytest.raises(ValueError, match="not a benchmark"):
        drop_namespace(namespace)


def test_a_namespace_without_its_own_names_is_never_dropped() -> None:
    """An empty prefix or application id would match every topic of the broker."""
    for overrides in ({"topic_prefix": ""}, {"app_id": ""}):
        with pytest.raises(ValueError, match="its own topic prefix and application id"):
            drop_namespace_topics(Settings(kafka_bootstrap_servers="127.0.0.1:9",
                                           **overrides))  # type: ignore[arg-type]
