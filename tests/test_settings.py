"""Settings come from the environment once, with clear errors, and go back to it for children."""

from __future__ import annotations

from pathlib import Path

import pytest

from stocksync.settings import Settings, SettingsError


def test_the_environment_gives_every_setting_back() -> None:
    settings = Settings(topic_prefix="t.", partitions=3, home=Path("/tmp/h").resolve(),
                        time_zone="Asia/Jakarta", history_listing_limit=5,
                        history_prune_interval_s=0.5, history_retention_ms=30_000,
                        api_tokens="viewer:v", gc_freeze_interval_s=0.0,
                        gc_full_interval_s=30.0)
    assert settings == Settings.from_env(settings.to_env())


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("STOCKSYNC_TIME_ZONE", "Mars/Olympus", "is not a time zone"),
    ("STOCKSYNC_HISTORY_LISTING_LIMIT", "0", "at least 1"),
    ("STOCKSYNC_HISTORY_RETENTION_MS", "0", "at least 1"),
    ("STOCKSYNC_HISTORY_PRUNE_INTERVAL_S", "-1", "must be positive"),
    ("STOCKSYNC_PARTITIONS", "many", "is not valid"),
    ("STOCKSYNC_GC_FREEZE_INTERVAL_S", "-1", "zero or more"),
    ("STOCKSYNC_GC_FULL_INTERVAL_S", "0", "must be positive"),
])
def test_bad_values_name_the_variable(variable: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError, match=words) as caught:
        Settings.from_env({variable: value})
    assert variable in str(caught.value)


def test_tokens_never_reach_a_repr() -> None:
    assert "secret" not in repr(Settings(api_tokens="operator:secret"))


def test_a_replay_goes_back_through_the_environment() -> None:
    settings = Settings(app_id="r1", replay=True, replay_until_ms=1_767_225_600_000)
    assert settings == Settings.from_env(settings.to_env())
    assert Settings.from_env({"STOCKSYNC_REPLAY": "no"}).replay is False
    with pytest.raises(SettingsError, match="STOCKSYNC_REPLAY"):
        Settings.from_env({"STOCKSYNC_REPLAY": "maybe"})


def test_a_replay_reads_the_log_and_writes_only_its_own_derived_topics() -> None:
    live = Settings(topic_prefix="t.", app_id="shop")
    replay = live.for_app("shop-replay")
    assert live.for_app("shop") == live
    assert replay.replay and replay.app_id == "shop-replay"
    for log_topic in ("stock-events", "config", "push-results", "sync-logs"):
        assert replay.topic(log_topic) == live.topic(log_topic) == f"t.{log_topic}"
    for derived in ("sync-records", "push-commands", "stock-events.dlq", "stock-events.rejected"):
        assert live.topic(derived) == f"t.{derived}"
        assert replay.topic(derived) == f"t.shop-replay.{derived}"
