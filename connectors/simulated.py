"""The client of the simulated marketplace (`simulated_marketplace.py`).

Options: `base_url` (required), `remote_store_id` (default: the store id). A `secret_ref`, if set,
names the bearer token the marketplace expects. The store SKU is the listing's id there.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import aiohttp

from stocksync.connectors.base import PushOutcome, PushRequest
from stocksync.connectors.http import HttpConnector, TransportError, outcome_for_status, short
from stocksync.connectors.options import option, required_option
from stocksync.connectors.secrets import Secret
from stocksync.domain.sync import Store


class SimulatedConnector(HttpConnector):
    def __init__(self, base_url: str, store_id: str, token: Secret | None = None, *,
                 session: aiohttp.ClientSession | None = None) -> None:
        super().__init__([token], session=session)
        self.base_url = base_url.rstrip("/")
        self.store_id = store_id
        self._token = token

    @classmethod
    def from_settings(cls, store: Store, secret: Secret | None) -> SimulatedConnector:
        return cls(required_option(store, "base_url"),
                   option(store, "remote_store_id", store.store_id) or store.store_id, secret)

    async def set_quantity(self, request: PushRequest) -> PushOutcome:
        url = (f"{self.base_url}/stores/{quote(self.store_id, safe='')}/listings/"
               f"{quote(request.store_sku, safe='')}/quantity")
        body: dict[str, int] = {"quantity": request.qty}
        if request.last_pushed_qty is not None:
            body["expected_quantity"] = request.last_pushed_qty
        headers = {"Content-Type": "application/json", "Idempotency-Key": request.record_id}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.reveal()}"
        try:
            answer = await self._send("PUT", url, headers=headers,
                                      body=json.dumps(body).encode())
        except TransportError as exc:
            return exc.outcome
        if 200 <= answer.status < 300:
            return PushOutcome.ok()
        error = answer.json()
        detail = error.get("error") if isinstance(error, dict) else None
        if isinstance(detail, dict):
            text = f"{answer.status} {detail.get('code')}: {detail.get('message')}"
        else:
            text = f"{answer.status} {answer.text or 'no body'}"
        return outcome_for_status(answer.status, short(text), answer.retry_after())
