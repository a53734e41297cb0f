"""The connector port: set one listing's quantity on a marketplace and say how it went.

A connector never raises for a marketplace's answer: every answer becomes a `PushOutcome`. Retries,
back-off and rate limits are the `Pusher`'s business, so a connector makes exactly one attempt.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

from stocksync.connectors.secrets import Secret
from stocksync.domain.sync import FailureCode, SyncRecord


@dataclass(frozen=True, slots=True)
class PushRequest:
    """Set `store_sku` to `qty`. `record_id` is the idempotency key; `last_pushed_qty` is what we
    last set successfully (None: unknown), for marketplaces that compare and swap."""

    record_id: str
    store_sku: str
    qty: int
    last_pushed_qty: int | None = None
    record: SyncRecord | None = None  # the whole record, for connectors that forward it


class OutcomeKind(str, enum.Enum):
    OK = "OK"
    FAILED = "FAILED"  # permanent: retrying cannot help
    TRANSIENT = "TRANSIENT"  # retryable: timeouts, 5xx, 429


@dataclass(frozen=True, slots=True)
class PushOutcome:
    kind: OutcomeKind
    failure_code: FailureCode | None = None  # for TRANSIENT: the code if it never clears
    message: str | None = None
    retry_after: float | None = None  # seconds the marketplace asked us to wait

    @classmethod
    def ok(cls) -> PushOutcome:
        return cls(OutcomeKind.OK)

    @classmethod
    def failed(cls, code: FailureCode, message: str) -> PushOutcome:
        return cls(OutcomeKind.FAILED, code, message)

    @classmethod
    def transient(cls, code: FailureCode, message: str,
                  retry_after: float | None = None) -> PushOutcome:
        return cls(OutcomeKind.TRANSIENT, code, message, retry_after)

    @property
    def is_ok(self) -> bool:
        return self.kind is OutcomeKind.OK


class Connector(ABC):
    """One store's marketplace. Subclasses hold their credentials as `Secret`s and hand them to
    `__init__`, so that `redact` can scrub them from any text that leaves the connector."""

    def __init__(self, secrets: Iterable[Secret | None] = ()) -> None:
        self._secrets = tuple(secret for secret in secrets if secret is not None)

    @abstractmethod
    async def set_quantity(self, request: PushRequest) -> PushOutcome:
        """One attempt to set the listing's quantity."""

    async def aclose(self) -> None:
        """Release connections; the connector may not be used afterwards."""

    def redact(self, text: str) -> str:
        """`text` with every credential of this connector (also URL-encoded) replaced by ***."""
        for secret in self._secrets:
            value = secret.reveal()
            if value:
                text = text.replace(value, "***").replace(quote(value, safe=""), "***")
        return text
