"""A generic webhook: POST the push as JSON to a URL of the merchant's; any 2xx is a success.

Body: {"record_id", "store_id", "store_sku", "quantity", "last_pushed_qty", "record": {...}}
(`record`: the whole sync record, when known). Headers: `Idempotency-Key: <record id>` and
`X-Stocksync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the
secret named by `secret_ref`; the receiver recomputes it over the raw body and should refuse old
timestamps. Errors: 401/403 auth, 404/410 not found, 409/412 conflict, 400/422 validation,
408/429/5xx retried (Retry-After honoured).

Settings: `url` (required), `secret_ref` (the signing key).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from stocksync.connectors.base import PushOutcome, PushRequest
from stocksync.connectors.http import HttpConnector, TransportError, outcome_for_status, short
from stocksync.connectors.options import required_option
from stocksync.connectors.secrets import ConnectorConfigError, Secret
from stocksync.domain.sync import Store, SyncRecord

SIGNATURE_HEADER = "X-Stocksync-Signature"


class WebhookCredentials:
    __slots__ = ("signing_key",)

    def __init__(self, signing_key: Secret) -> None:
        self.signing_key = signing_key

    def __repr__(self) -> str:
        return f"WebhookCredentials(signing_key={self.signing_key!r})"


def signature(key: str, timestamp: int, body: bytes) -> str:
    """The X-Stocksync-Signature value for `body` sent at `timestamp`."""
    mac = hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(key: str, header: str, body: bytes) -> bool:
    """Whether `header` signs `body` (for receivers; does not judge the timestamp's age)."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        expected = signature(key, int(parts.get("t", "")), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, header)


class WebhookConnector(HttpConnector):
    def __init__(self, url: str, store_id: str, credentials: WebhookCredentials, *,
                 clock: Callable[[], float] = time.time,
                 session: aiohttp.ClientSession | None = None) -> None:
        super().__init__([credentials.signing_key], session=session)
        self.url = url
        self.store_id = store_id
        self._credentials = credentials
        self._clock = clock

    @classmethod
    def from_settings(cls, store: Store, secret: Secret | None) -> WebhookConnector:
        if secret is None:
            raise ConnectorConfigError(
                f"store {store.store_id}: a webhook needs a signing key (set secret_ref)")
        return cls(required_option(store, "url"), store.store_id, WebhookCredentials(secret))

    def build_body(self, request: PushRequest) -> dict[str, Any]:
        return {"record_id": request.record_id, "store_id": self.store_id,
                "store_sku": request.store_sku, "quantity": request.qty,
                "last_pushed_qty": request.last_pushed_qty,
                "record": None if request.record is None else record_json(request.record)}

    async def set_quantity(self, request: PushRequest) -> PushOutcome:
        body = json.dumps(self.build_body(request), separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": request.record_id,
                   SIGNATURE_HEADER: signature(self._credentials.signing_key.reveal(),
                                               int(self._clock()), body)}
        try:
            answer = await self._send("POST", self.url, headers=headers, body=body)
        except TransportError as exc:
            return exc.outcome
        if 200 <= answer.status < 300:
            return PushOutcome.ok()
        return outcome_for_status(
            answer.status, short(f"webhook {answer.status}: {answer.text or 'no body'}"),
            answer.retry_after())


def record_json(record: SyncRecord) -> dict[str, Any]:
    """A sync record as JSON-ready values (enums by value)."""
    def plain(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value
    return {key: plain(value) for key, value in dataclasses.asdict(record).items()}
