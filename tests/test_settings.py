"""Settings come from the environment once, with clear errors, and go back to it for children."""

from __future__ import annotations

from pathlib import Path

import pytest

from stocksync.settings import Settings, SettingsError


def test_the_environment_gives_every_setting_back() -> None:
    settings = Settings(topic_prefix="t.", partitions=3, home=Path("/tmp/h").resolve(),
                        time_zone="Asia/Jakarta", history_listing_limit=5,
                        history_prune_interval_s=0.5, history_retention_ms=30_000,
                        api_tokens="viewer:v")
    assert settings == Settings.from_env(settings.to_env())


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("STOCKSYNC_TIME_ZONE", "Mars/Olympus", "is not a time zone"),
    ("STOCKSYNC_HISTORY_LISTING_LIMIT", "0", "at least 1"),
    ("STOCKSYNC_HISTORY_RETENTION_MS", "0", "at least 1"),
    ("STOCKSYNC_HISTORY_PRUNE_INTERVAL_S", "-1", "must be positive"),
    ("STOCKSYNC_PARTITIONS", "many", "is not valid"),
])
def test_bad_values_name_the_variable(variable: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError, match=words) as caught:
        Settings.from_env({variable: value})
    assert variable in str(caught.value)


def test_tokens_never_reach_a_repr() -> None:
    assert "secret" not in repr(Settings(api_tokens="operator:secret"))
