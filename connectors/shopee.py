"""Shopee Open Platform v2: POST /api/v2/product/update_stock.

A shop-level call: the common parameters partner_id, timestamp, access_token, shop_id and sign go
in the query string; sign = hex HMAC-SHA256, keyed with the partner key, of
partner_id + API path + timestamp + access_token + shop_id. The body sets the seller stock of one
model of one item: {"item_id", "stock_list": [{"model_id", "seller_stock": [{"stock"}]}]}
(`model_id` left out for an item without variants, `location_id` added when configured). Answers
carry `error` / `message` / `request_id` and `response.success_list` / `failure_list`.

Shopee has no idempotency key for this call; setting an absolute stock is idempotent by itself,
so repeating a push leaves the same stock. It has no compare and swap either.

Settings:
    secret_ref    the environment variable holding a JSON object
                  {"partner_key": ..., "access_token": ...}; the access token expires every
                  4 hours, so whatever refreshes it must update that variable and restart the
                  worker (refreshing is not done here)
    partner_id, shop_id   (required, numbers)
    base_url      default https://partner.shopeemobile.com
    location_id   optional: the seller warehouse whose stock is set
    listing_ids   optional JSON object: store SKU -> "item_id" or "item_id:model_id". Without an
                  entry the store SKU itself must be "item_id" or "item_id:model_id".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from stocksync.connectors.base import PushOutcome, PushRequest
from stocksync.connectors.http import HttpConnector, TransportError, short
from stocksync.connectors.options import mapping_option, option, required_option
from stocksync.connectors.secrets import ConnectorConfigError, Secret, secret_fields
from stocksync.domain.sync import FailureCode, Store

DEFAULT_BASE_URL = "https://partner.shopeemobile.com"
UPDATE_STOCK_PATH = "/api/v2/product/update_stock"
LISTING_ID = re.compile(r"^(?P<item>\d+)(?::(?P<model>\d+))?$")

AUTH_ERRORS = {"error_auth", "error_sign", "error_permission", "error_token"}
NOT_FOUND_ERRORS = {"error_item_not_found", "error_not_found"}
VALIDATION_ERRORS = {"error_param", "error_busi", "error_data"}
RATE_LIMIT_ERRORS = {"error_too_many_request", "error_rate_limit"}
SERVER_ERRORS = {"error_server", "error_inner", "error_system", "error_network"}


class ShopeeCredentials:
    __slots__ = ("access_token", "partner_key")

    def __init__(self, partner_key: Secret, access_token: Secret) -> None:
        self.partner_key = partner_key
        self.access_token = access_token

    def __repr__(self) -> str:
        return (f"ShopeeCredentials(partner_key={self.partner_key!r}, "
                f"access_token={self.access_token!r})")


def sign(partner_key: str, partner_id: int, path: str, timestamp: int, access_token: str,
         shop_id: int) -> str:
    """The shop-level API signature."""
    base = f"{partner_id}{path}{timestamp}{access_token}{shop_id}"
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


class ShopeeConnector(HttpConnector):
    def __init__(self, credentials: ShopeeCredentials, partner_id: int, shop_id: int, *,
                 base_url: str = DEFAULT_BASE_URL, location_id: str | None = None,
                 listing_ids: dict[str, str] | None = None,
                 clock: Callable[[], float] = time.time,
                 session: aiohttp.ClientSession | None = None) -> None:
        super().__init__([credentials.partner_key, credentials.access_token], session=session)
        self._credentials = credentials
        self.partner_id = partner_id
        self.shop_id = shop_id
        self.base_url = base_url.rstrip("/")
        self.location_id = location_id
        self.listing_ids = dict(listing_ids or {})
        self._clock = clock

    @classmethod
    def from_settings(cls, store: Store, secret: Secret | None) -> ShopeeConnector:
        if secret is None:
            raise ConnectorConfigError(
                f"store {store.store_id}: Shopee needs a partner key and an access token "
                "(set secret_ref)")
        fields = secret_fields(store, secret, ("partner_key", "access_token"))
        ids = {}
        for name in ("partner_id", "shop_id"):
            raw = required_option(store, name)
            if not raw.isdigit():
                raise ConnectorConfigError(
                    f"store {store.store_id}: option {name}={raw!r} is not a number")
            ids[name] = int(raw)
        listing_ids = mapping_option(store, "listing_ids")
        for sku, value in listing_ids.items():
            if LISTING_ID.match(value) is None:
                raise ConnectorConfigError(
                    f"store {store.store_id}: listing_ids[{sku!r}] must be item_id[:model_id]")
        return cls(ShopeeCredentials(fields["partner_key"], fields["access_token"]),
                   ids["partner_id"], ids["shop_id"],
                   base_url=option(store, "base_url", DEFAULT_BASE_URL) or DEFAULT_BASE_URL,
                   location_id=option(store, "location_id"), listing_ids=listing_ids)

    def listing(self, store_sku: str) -> tuple[int, int | None] | None:
        """(item_id, model_id or None) of a store SKU, or None if it maps to nothing."""
        match = LISTING_ID.match(self.listing_ids.get(store_sku, store_sku))
        if match is None:
            return None
        model = match["model"]
        return int(match["item"]), None if model is None else int(model)

    def build_body(self, item_id: int, model_id: int | None, qty: int) -> dict[str, Any]:
        seller_stock: dict[str, Any] = {"stock": qty}
        if self.location_id:
            seller_stock = {"location_id": self.location_id, "stock": qty}
        entry: dict[str, Any] = {"seller_stock": [seller_stock]}
        if model_id is not None:
            entry = {"model_id": model_id, **entry}
        return {"item_id": item_id, "stock_list": [entry]}

    def common_parameters(self) -> dict[str, str]:
        timestamp = int(self._clock())
        token = self._credentials.access_token.reveal()
        signature = sign(self._credentials.partner_key.reveal(), self.partner_id,
                         UPDATE_STOCK_PATH, timestamp, token, self.shop_id)
        return {"partner_id": str(self.partner_id), "timestamp": str(timestamp),
                "access_token": token, "shop_id": str(self.shop_id), "sign": signature}

    async def set_quantity(self, request: PushRequest) -> PushOutcome:
        listing = self.listing(request.store_sku)
        if listing is None:
            return PushOutcome.failed(
                FailureCode.LISTING_NOT_FOUND,
                f"store SKU {request.store_sku} is not item_id[:model_id] "
                "(map it in the listing_ids option)")
        item_id, model_id = listing
        body = json.dumps(self.build_body(item_id, model_id, request.qty)).encode()
        try:
            answer = await self._send("POST", self.base_url + UPDATE_STOCK_PATH,
                                      params=self.common_parameters(),
                                      headers={"Content-Type": "application/json"}, body=body)
        except TransportError as exc:
            return exc.outcome
        payload = answer.json()
        if not isinstance(payload, dict):
            text = short(f"Shopee {answer.status}: {answer.text or 'no body'}")
            if answer.status == 429:
                return PushOutcome.transient(FailureCode.RATE_LIMITED, text, answer.retry_after())
            if answer.status >= 500 or answer.status == 200:
                return PushOutcome.transient(FailureCode.MARKETPLACE_ERROR, text,
                                             answer.retry_after())
            return PushOutcome.failed(FailureCode.UNKNOWN, text)
        error = str(payload.get("error") or "")
        if error or answer.status != 200:
            return _error(answer.status, error, payload, answer.retry_after())
        return _stock_result(payload, model_id)


def _describe(status: int, error: str, payload: dict[str, Any]) -> str:
    text = f"Shopee {error or status}: {payload.get('message') or 'no message'}"
    if payload.get("request_id"):
        text += f" (request_id {payload['request_id']})"
    return short(text)


def _error(status: int, error: str, payload: dict[str, Any],
           retry_after: float | None) -> PushOutcome:
    message = _describe(status, error, payload)
    if status == 429 or error in RATE_LIMIT_ERRORS:
        return PushOutcome.transient(FailureCode.RATE_LIMITED, message, retry_after)
    if status >= 500 or error in SERVER_ERRORS:
        return PushOutcome.transient(FailureCode.MARKETPLACE_ERROR, message, retry_after)
    if error in AUTH_ERRORS or status in (401, 403):
        return PushOutcome.failed(FailureCode.AUTH_EXPIRED, message)
    if error in NOT_FOUND_ERRORS or status == 404:
        return PushOutcome.failed(FailureCode.LISTING_NOT_FOUND, message)
    if error in VALIDATION_ERRORS or status in (400, 422):
        return PushOutcome.failed(FailureCode.VALIDATION, message)
    return PushOutcome.failed(FailureCode.UNKNOWN, message)


def _stock_result(payload: dict[str, Any], model_id: int | None) -> PushOutcome:
    response = payload.get("response")
    if not isinstance(response, dict):
        return PushOutcome.failed(FailureCode.UNKNOWN, "Shopee answered without a response")
    failures = [f for f in response.get("failure_list") or [] if isinstance(f, dict)]
    if failures:
        reason = "; ".join(str(f.get("failed_reason") or "failed") for f in failures)
        message = short(f"Shopee refused the stock of model {failures[0].get('model_id')}: "
                        f"{reason}")
        missing = re.search(r"not (found|exist)", reason, re.IGNORECASE) is not None
        return PushOutcome.failed(
            FailureCode.LISTING_NOT_FOUND if missing else FailureCode.VALIDATION, message)
    successes = [s for s in response.get("success_list") or [] if isinstance(s, dict)]
    if not successes:
        return PushOutcome.failed(FailureCode.UNKNOWN,
                                  "Shopee reported neither a success nor a failure")
    if model_id is not None and not any(s.get("model_id") == model_id for s in successes):
        return PushOutcome.failed(FailureCode.UNKNOWN,
                                  f"Shopee's success list does not name model {model_id}")
    return PushOutcome.ok()
