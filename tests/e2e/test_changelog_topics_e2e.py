"""The worker creates its tables' changelog topics before faust starts, configured as faust
would create them: a table written right at start-up (push-progress, at the first push command)
must not find its changelog described with no partitions."""

from __future__ import annotations

import pytest
from kafka.admin import ConfigResource, ConfigResourceType

from stocksync.settings import Settings
from stocksync.streams.app import create_app
from stocksync.topic_admin import admin_client, create_changelog_topics

pytestmark = pytest.mark.kafka


def test_every_changelog_exists_with_faust_s_partitions_and_cleanup_policy(
        topics: Settings) -> None:
    tables = list(create_app(topics).app.tables.values())
    created = create_changelog_topics(topics, tables)
    names = {table.changelog_topic.get_topic_name(): table for table in tables}
    assert set(names) == {state.name for state in created} and all(s.created for s in created)
    admin = admin_client(topics)
    try:
        described = {d["name"]: len(d["partitions"]) for d in admin.describe_topics(list(names))}
        configs = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)
                                          for name in names])
    finally:
        admin.close()
    assert described == {name: table.partitions for name, table in names.items()}
    policies = {name: {key: entry["value"] for key, entry in config.items()}
                for name, config in configs["topic"].items()}
    assert policies[f"{topics.app_id}-push-progress-changelog"]["cleanup.policy"] == "compact"
    event_ids = policies[f"{topics.app_id}-event-ids-changelog"]
    assert (event_ids["cleanup.policy"], event_ids["retention.ms"]) == ("compact,delete",
                                                                          "2592000000")
    # A second worker finds them and creates nothing.
    assert not any(state.created for state in create_changelog_topics(topics, tables))
