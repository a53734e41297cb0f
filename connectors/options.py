"""Reading a store's non-secret connector options, with errors that name the option."""

from __future__ import annotations

import json

from stocksync.connectors.secrets import ConnectorConfigError
from stocksync.domain.sync import Store


def option(store: Store, name: str, default: str | None = None) -> str | None:
    value = store.connector.option(name)
    return default if value is None or value == "" else value


def required_option(store: Store, name: str) -> str:
    value = option(store, name)
    if value is None:
        raise ConnectorConfigError(
            f"store {store.store_id}: connector {store.connector.kind!r} needs the option {name}")
    return value


def float_option(store: Store, name: str, default: float) -> float:
    raw = option(store, name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConnectorConfigError(
            f"store {store.store_id}: option {name}={raw!r} is not a number") from None


def mapping_option(store: Store, name: str) -> dict[str, str]:
    """An option holding a JSON object of strings (or numbers), e.g. store SKU -> marketplace id."""
    raw = option(store, name)
    if raw is None:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(
            isinstance(value, str | int) and not isinstance(value, bool)
            for value in parsed.values()):
        raise ConnectorConfigError(
            f"store {store.store_id}: option {name} must be a JSON object of strings")
    return {str(key): str(value) for key, value in parsed.items()}
