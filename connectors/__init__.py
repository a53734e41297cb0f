"""Marketplace connectors: push listing quantities and report the outcome.

No Kafka here: the connector worker hands `PushCommand`s to a `Pusher` and publishes the
`PushResult`s it returns.
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
