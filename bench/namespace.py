"""A fresh namespace for one benchmark run: its own topic prefix, application id and folder, on
the broker of the environment (the local broker by default)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from stocksync.settings import Settings
from stocksync.topic_admin import create_topics, drop_namespace_topics
from stocksync.worker_process import free_port


def bench_settings(**overrides: Any) -> Settings:
    """Settings of a new namespace whose topics exist."""
    tag = uuid.uuid4().hex[:8]
    settings = Settings.from_env().with_overrides(
        topic_prefix=f"bench-{tag}.", app_id=f"stocksync-bench-{tag}",
        home=Path(tempfile.mkdtemp(prefix="stocksync-bench-")), web_port=free_port(),
        log_format="json", **overrides)
    create_topics(settings)
    return settings


def drop_namespace(settings: Settings) -> int:
    """Delete the namespace's topics, its applications' changelogs and internal topics too (their
    names start with its app id): left on the broker, the next phase's latency shared the cores
    with the log cleaner compacting them, and the local broker grew by every run. How many."""
    if not (settings.topic_prefix.startswith("bench-") and settings.app_id.startswith(
            "stocksync-bench-")):
        raise ValueError(f"not a benchmark's namespace: {settings.topic_prefix!r}")
    return drop_namespace_topics(settings)
