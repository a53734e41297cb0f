"""Which connector serves a store: `ConnectorSettings.kind` picks the adapter, `secret_ref` names
the environment variable of the worker that holds its credential."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from stocksync.connectors.base import Connector
from stocksync.connectors.memory import MemoryConnector
from stocksync.connectors.secrets import ConnectorConfigError, Secret, resolve_secret
from stocksync.connectors.shopee import ShopeeConnector
from stocksync.connectors.shopify import ShopifyConnector
from stocksync.connectors.simulated import SimulatedConnector
from stocksync.connectors.webhook import WebhookConnector
from stocksync.domain.sync import Store


def _memory(store: Store, secret: Secret | None) -> Connector:
    return MemoryConnector()


# kind -> (builder, whether a credential is required)
BUILDERS: dict[str, tuple[Callable[[Store, Secret | None], Connector], bool]] = {
    "simulated": (SimulatedConnector.from_settings, False),
    "shopify": (ShopifyConnector.from_settings, True),
    "shopee": (ShopeeConnector.from_settings, True),
    "webhook": (WebhookConnector.from_settings, True),
    "memory": (_memory, False),
}


def connector_for(store: Store, secrets: Mapping[str, str]) -> Connector:
    """A new connector for `store`. `secrets` is the worker's environment. Raises
    `ConnectorConfigError` (naming the setting or variable, never a secret's value)."""
    kind = store.connector.kind
    if kind not in BUILDERS:
        raise ConnectorConfigError(
            f"store {store.store_id}: unknown connector kind {kind!r} "
            f"(known: {', '.join(sorted(BUILDERS))})")
    build, needs_secret = BUILDERS[kind]
    return build(store, resolve_secret(store, secrets, required=needs_secret))


def connector_factory(secrets: Mapping[str, str]) -> Callable[[Store], Connector]:
    """`connector_for` bound to one environment, as the `Pusher` wants it."""
    return lambda store: connector_for(store, secrets)
