"""Marketplace connectors: push listing quantities and report the outcome.

The pushing side has no Kafka: the connector worker hands `PushCommand`s to a `Pusher` and
publishes the `PushResult`s it returns. The one adapter to Kafka here is `sync_log_reporter`,
with which connectors report their other syncs (products, orders, customers, refunds).
"""

from stocksync.connectors.base import Connector, OutcomeKind, PushOutcome, PushRequest
from stocksync.connectors.last_pushed import LastPush, LastPushed, MemoryLastPushed
from stocksync.connectors.memory import MemoryConnector
from stocksync.connectors.pusher import Pusher, RetryPolicy
from stocksync.connectors.registry import connector_factory, connector_for
from stocksync.connectors.secrets import ConnectorConfigError, MissingSecretError, Secret

__all__ = [
    "Connector",
    "ConnectorConfigError",
    "LastPush",
    "LastPushed",
    "MemoryConnector",
    "MemoryLastPushed",
    "MissingSecretError",
    "OutcomeKind",
    "PushOutcome",
    "PushRequest",
    "Pusher",
    "RetryPolicy",
    "Secret",
    "connector_factory",
    "connector_for",
]
