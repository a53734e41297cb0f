"""Reads and changes the push configuration (stores and sync rules) in the compacted `config`
topic. Workers never read this topic directly for decisions: one relay turns each change into a
snapshot written into every stock-events partition (see stocksync.streams.config_relay)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kafka import KafkaProducer

from stocksync.domain.push import SyncConfig, validate_config
from stocksync.domain.sync import Store, SyncRule
from stocksync.kafka_security import client_options
from stocksync.schemas.push_codec import (
    STORE,
    SYNC_RULE,
    encode_rule,
    encode_store,
    push_codec,
    rule_from_avro,
    store_from_avro,
)
from stocksync.settings import Settings
from stocksync.topic_reader import read_to_end
from stocksync.topics import CONFIG

STORE_PREFIX = "store:"
RULE_PREFIX = "rule:"


class ConfigError(ValueError):
    """A configuration change that cannot be made; the message says why."""


@dataclass(frozen=True)
class PushConfig:
    stores: dict[str, Store] = field(default_factory=dict)
    rules: dict[str, SyncRule] = field(default_factory=dict)


def config_key(item: Store | SyncRule) -> bytes:
    if isinstance(item, Store):
        return f"{STORE_PREFIX}{item.store_id}".encode()
    return f"{RULE_PREFIX}{item.name}".encode()


def apply_config_record(config: PushConfig, key: bytes, value: bytes | None) -> None:
    """Fold one record of the config topic into `config` (a tombstone removes)."""
    text = key.decode()
    if value is None:
        if text.startswith(STORE_PREFIX):
            config.stores.pop(text[len(STORE_PREFIX):], None)
        elif text.startswith(RULE_PREFIX):
            config.rules.pop(text[len(RULE_PREFIX):], None)
        return
    name, record = push_codec().decode(value)
    if name == STORE:
        store = store_from_avro(record)
        config.stores[store.store_id] = store
    elif name == SYNC_RULE:
        rule = rule_from_avro(record)
        config.rules[rule.name] = rule


def read_config(settings: Settings, timeout_s: float = 30.0) -> PushConfig:
    """The current configuration: the compacted topic read from its start to its end."""
    config = PushConfig()
    for record in read_to_end(settings, settings.topic(CONFIG.name), timeout_s=timeout_s):
        apply_config_record(config, record.key, record.value)
    return config


class ConfigWriter:
    """Validates a change against the current configuration, then writes it."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._topic = settings.topic(CONFIG.name)

    def put_store(self, store: Store) -> None:
        if not store.store_id:
            raise ConfigError("a store needs an id")
        self._send(config_key(store), encode_store(store))

    def remove_store(self, store_id: str) -> None:
        config = read_config(self._settings)
        if store_id not in config.stores:
            raise ConfigError(f"no store {store_id!r}")
        users = sorted(r.name for r in config.rules.values() if store_id in r.store_ids)
        if users:
            raise ConfigError(f"store {store_id!r} is used by the rules {', '.join(users)}; "
                              "change them first")
        self._send(f"{STORE_PREFIX}{store_id}".encode(), None)

    def put_rule(self, rule: SyncRule) -> None:
        config = read_config(self._settings)
        problems = rule_problems(rule, config)
        if problems:
            raise ConfigError("; ".join(problems))
        self._send(config_key(rule), encode_rule(rule))

    def remove_rule(self, name: str) -> None:
        if name not in read_config(self._settings).rules:
            raise ConfigError(f"no rule {name!r}")
        self._send(f"{RULE_PREFIX}{name}".encode(), None)

    def _send(self, key: bytes, value: bytes | None) -> None:
        producer = KafkaProducer(**client_options(self._settings),
                                 acks="all")
        try:
            producer.send(self._topic, key=key, value=value).get(timeout=30)
        finally:
            producer.close()


def rule_problems(rule: SyncRule, config: PushConfig) -> list[str]:
    """The problems saving `rule` would bring into `config` (empty when it can be saved)."""
    current = SyncConfig(dict(config.rules), dict(config.stores))
    candidate = SyncConfig({**config.rules, rule.name: rule}, dict(config.stores))
    introduced = set(validate_config(candidate)) - set(validate_config(current))
    return [str(problem) for problem in sorted(introduced, key=str)]
