"""Credentials: resolved from the worker's environment, masked everywhere they could be printed.

`ConnectorSettings.secret_ref` names an environment variable; only `resolve_secret` reads it, and
every error names the variable, never its value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from stocksync.domain.sync import Store

MASK = "********"


class Secret:
    """A credential. `repr`, `str` and f-strings show a mask; only `reveal()` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not pickled")


class ConnectorConfigError(ValueError):
    """A store's connector settings cannot be used; the message says which setting."""


class MissingSecretError(ConnectorConfigError):
    """The environment variable named by `secret_ref` is not set (or empty)."""


def resolve_secret(store: Store, secrets: Mapping[str, str], *, required: bool) -> Secret | None:
    """The credential named by the store's `secret_ref`, read from `secrets` (the environment)."""
    ref = store.connector.secret_ref
    if not ref:
        if required:
            raise MissingSecretError(
                f"store {store.store_id}: connector {store.connector.kind!r} needs a credential, "
                "but its secret_ref names no environment variable")
        return None
    value = secrets.get(ref)
    if not value:
        raise MissingSecretError(
            f"store {store.store_id}: environment variable {ref} (secret_ref) is not set")
    return Secret(value)


def secret_fields(store: Store, secret: Secret, names: tuple[str, ...]) -> dict[str, Secret]:
    """A secret that holds a JSON object with string `names`, each as its own `Secret`."""
    ref = store.connector.secret_ref
    problem = (f"store {store.store_id}: environment variable {ref} (secret_ref) must hold a JSON "
               f"object with the string fields {', '.join(names)}")
    try:
        parsed = json.loads(secret.reveal())
    except ValueError:
        parsed = None  # raised below, outside this block: the decode error holds the value
    if not isinstance(parsed, dict):
        raise ConnectorConfigError(problem)
    values = {name: parsed.get(name) for name in names}
    if not all(isinstance(value, str) and value for value in values.values()):
        raise ConnectorConfigError(problem)
    return {name: Secret(str(value)) for name, value in values.items()}
