"""One settings object, read once at the entry point from the environment (and CLI overrides)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCAL_BOOTSTRAP = "127.0.0.1:19092"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


AGENTS = ("fold", "push", "history")

# Topics an application derives from the log. A replay (issue 6) writes its own copies, named
# after its app id; the log topics (stock-events, config, push-results, sync-logs, ...) are
# shared: a replay only reads them.
DERIVED_TOPICS = frozenset({"sync-records", "push-commands", "stock-events.dlq",
                            "stock-events.rejected"})


@dataclass(frozen=True)
class Settings:
    """Everything a stocksync process needs to know about its environment."""

    kafka_bootstrap_servers: str = LOCAL_BOOTSTRAP
    # How every Kafka client connects (stocksync.kafka_security turns these into client options).
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = ""
    kafka_sasl_username: str = ""
    kafka_sasl_password: str = field(default="", repr=False)  # a secret: never printed
    kafka_ssl_cafile: str = ""
    kafka_ssl_certfile: str = ""
    kafka_ssl_keyfile: str = ""
    # Prefixes every project topic, so tests, replays and tenants can share one cluster.
    topic_prefix: str = ""
    app_id: str = "stocksync"
    partitions: int = 6
    replication_factor: int = 1
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    # Project-local folder for the local broker, worker state and logs.
    home: Path = field(default_factory=lambda: Path(".stocksync").resolve())
    data_dir: Path | None = None
    log_format: str = "auto"  # auto: console on a TTY, JSON otherwise
    log_level: str = "info"
    # The fold agent takes up to this many events at once, waiting at most `batch_within_s`.
    batch_size: int = 2000
    batch_within_s: float = 0.05
    # A worker that stops heartbeating (kill -9, a lost host) loses its partitions after this
    # long; its successor waits as long to join (faust's default is 60 s).
    session_timeout_s: float = 10.0
    # Each table partition is also kept, from its changelog, by this many other workers: the
    # one that takes it over after a failure starts warm (0: it replays the changelog first).
    standby_replicas: int = 1
    # Push pipeline: dedup window on log time, the grace an idle partition's watermark keeps
    # behind the wall clock, and the periodic Refresh.
    window_ms: int = 1000
    window_grace_ms: int = 100
    refresh_interval_s: float = 600.0
    # Sync history retention (compacted topics with compact,delete).
    history_retention_ms: int = 30 * 24 * 3600 * 1000
    # The Push Record view keeps this many latest records per store SKU.
    history_listing_limit: int = 100
    # How often each worker drops records older than the retention from its views.
    history_prune_interval_s: float = 60.0
    # The zone of range=today|week|month and of date-only since/until (an IANA name).
    time_zone: str = "UTC"
    # Objects alive at each tick are frozen out of the garbage collector's full collections,
    # which are made on a timer instead (stocksync.gc_freeze); 0: CPython's own schedule.
    gc_freeze_interval_s: float = 1.0
    gc_full_interval_s: float = 600.0
    # What this worker runs: the stock fold (with the config relay), the push agent, the
    # history projections (with their API). Workers sharing an app id must run the same set;
    # a split deployment gives each set its own STOCKSYNC_APP_ID.
    agents: str = "fold,push,history"
    # Operator tokens, "viewer:<token>,operator:<token>"; a secret: never printed.
    api_tokens: str = field(default="", repr=False)
    # A replay application (`stocksync replay`): reads the log, writes only its own derived
    # topics and tables, pushes nothing (outcomes come from push-results), accepts no change.
    replay: bool = False
    # A replay folds only what reached the log at or before this instant (epoch ms).
    replay_until_ms: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for name, (var, convert) in _ENV_VARS.items():
            raw = env.get(var)
            if raw is None or raw == "":
                continue
            try:
                values[name] = convert(raw)
            except ValueError as exc:
                raise SettingsError(f"{var}={raw!r} is not valid: {exc}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.validate()
        return settings

    def to_env(self) -> dict[str, str]:
        """The environment that gives these settings back to `from_env` (a child process's)."""
        return {var: str(getattr(self, name)) for name, (var, _) in _ENV_VARS.items()
                if getattr(self, name) is not None}

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})

    def validate(self) -> None:
        if self.partitions < 1:
            raise SettingsError(f"STOCKSYNC_PARTITIONS must be at least 1, not {self.partitions}")
        if not 0 < self.web_port < 65536:
            raise SettingsError(f"STOCKSYNC_WEB_PORT must be a TCP port, not {self.web_port}")
        if self.window_ms < 1:
            raise SettingsError("STOCKSYNC_WINDOW_MS must be at least 1")
        if self.history_listing_limit < 1:
            raise SettingsError("STOCKSYNC_HISTORY_LISTING_LIMIT must be at least 1")
        if self.history_retention_ms < 1:
            raise SettingsError("STOCKSYNC_HISTORY_RETENTION_MS must be at least 1")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"STOCKSYNC_TIME_ZONE={self.time_zone!r} is not a time zone "
                                "(an IANA name such as Asia/Jakarta)") from None
        unknown = set(self.agent_set) - set(AGENTS)
        if unknown or not self.agent_set:
            raise SettingsError(f"STOCKSYNC_AGENTS={self.agents!r}: a comma-separated subset of "
                                f"{', '.join(AGENTS)}")
        if self.log_format not in ("auto", "json", "console"):
            raise SettingsError("STOCKSYNC_LOG_FORMAT must be auto, json or console")
        from stocksync.kafka_security import check_security

        check_security(self)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values no log line may show: the Kafka password and the API tokens."""
        tokens = (item.partition(":")[2].strip() for item in self.api_tokens.split(","))
        return tuple(value for value in (self.kafka_sasl_password, *tokens) if value)

    @property
    def agent_set(self) -> frozenset[str]:
        return frozenset(name.strip() for name in self.agents.split(",") if name.strip())

    @property
    def worker_data_dir(self) -> Path:
        return self.data_dir or self.home / "worker-data"

    @property
    def web_url(self) -> str:
        return f"http://{self.web_host}:{self.web_port}"

    def topic(self, name: str) -> str:
        """The full name of a project topic under this settings' prefix; a replay's derived
        topics are its own, named after its app id."""
        if self.replay and name in DERIVED_TOPICS:
            return f"{self.topic_prefix}{self.app_id}.{name}"
        return f"{self.topic_prefix}{name}"

    def for_app(self, app_id: str) -> Settings:
        """The settings that read application `app_id`: these settings' own app, or a replay."""
        return replace(self, app_id=app_id, replay=self.replay or app_id != self.app_id)


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError("must be positive")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("must be zero or more")
    return value


_ENV_VARS: dict[str, tuple[str, Any]] = {
    "kafka_bootstrap_servers": ("KAFKA_BOOTSTRAP_SERVERS", str),
    "kafka_security_protocol": ("KAFKA_SECURITY_PROTOCOL", lambda raw: raw.strip().upper()),
    "kafka_sasl_mechanism": ("KAFKA_SASL_MECHANISM", lambda raw: raw.strip().upper()),
    "kafka_sasl_username": ("KAFKA_SASL_USERNAME", str),
    "kafka_sasl_password": ("KAFKA_SASL_PASSWORD", str),
    "kafka_ssl_cafile": ("KAFKA_SSL_CAFILE", str),
    "kafka_ssl_certfile": ("KAFKA_SSL_CERTFILE", str),
    "kafka_ssl_keyfile": ("KAFKA_SSL_KEYFILE", str),
    "topic_prefix": ("STOCKSYNC_TOPIC_PREFIX", str),
    "app_id": ("STOCKSYNC_APP_ID", str),
    "partitions": ("STOCKSYNC_PARTITIONS", int),
    "replication_factor": ("STOCKSYNC_REPLICATION_FACTOR", int),
    "web_host": ("STOCKSYNC_WEB_HOST", str),
    "web_port": ("STOCKSYNC_WEB_PORT", int),
    "home": ("STOCKSYNC_HOME", lambda raw: Path(raw).resolve()),
    "data_dir": ("STOCKSYNC_DATA_DIR", lambda raw: Path(raw).resolve()),
    "log_format": ("STOCKSYNC_LOG_FORMAT", str),
    "log_level": ("STOCKSYNC_LOG_LEVEL", str),
    "batch_size": ("STOCKSYNC_BATCH_SIZE", int),
    "batch_within_s": ("STOCKSYNC_BATCH_WITHIN_S", _positive_float),
    "session_timeout_s": ("STOCKSYNC_SESSION_TIMEOUT_S", _positive_float),
    "standby_replicas": ("STOCKSYNC_STANDBY_REPLICAS", int),
    "window_ms": ("STOCKSYNC_WINDOW_MS", int),
    "window_grace_ms": ("STOCKSYNC_WINDOW_GRACE_MS", int),
    "refresh_interval_s": ("STOCKSYNC_REFRESH_INTERVAL_S", _positive_float),
    "history_retention_ms": ("STOCKSYNC_HISTORY_RETENTION_MS", int),
    "history_listing_limit": ("STOCKSYNC_HISTORY_LISTING_LIMIT", int),
    "history_prune_interval_s": ("STOCKSYNC_HISTORY_PRUNE_INTERVAL_S", _positive_float),
    "gc_freeze_interval_s": ("STOCKSYNC_GC_FREEZE_INTERVAL_S", _non_negative_float),
    "gc_full_interval_s": ("STOCKSYNC_GC_FULL_INTERVAL_S", _positive_float),
    "time_zone": ("STOCKSYNC_TIME_ZONE", str),
    "agents": ("STOCKSYNC_AGENTS", str),
    "api_tokens": ("STOCKSYNC_API_TOKENS", str),
    "replay": ("STOCKSYNC_REPLAY", _boolean),
    "replay_until_ms": ("STOCKSYNC_REPLAY_UNTIL_MS", int),
}
