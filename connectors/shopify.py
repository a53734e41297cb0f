"""Shopify: the Admin GraphQL `inventorySetQuantities` mutation (API version 2026-04 by default).

Sets the absolute `available` quantity of one inventory item at one location, with
`changeFromQuantity` = the quantity we last pushed (compare and swap; null when we never pushed,
which opts out of the check: 2026-04 wants the field present either way). The record ID is the
idempotency key, passed with the `@idempotent(key: ...)` directive as Shopify documents it for
this mutation (mandatory from 2026-04), and named in `referenceDocumentUri`
(gid://stocksync/SyncRecord/<id>) so that the merchant's inventory history shows the record.

Settings:
    secret_ref            the environment variable holding the Admin API access token
                          (sent as X-Shopify-Access-Token)
    shop                  e.g. acme.myshopify.com (or `base_url`, e.g. a stub's http://host:port)
    location_id           the location whose quantity is set (numeric or gid://shopify/Location/N)
    inventory_item_ids    optional JSON object: store SKU -> inventory item id. Without an entry
                          the store SKU must itself be the inventory item id (numeric or gid).
    api_version           default 2026-04 (2026-01 at the oldest: changeFromQuantity)
    reason                default "correction"
    compare_and_swap      default "true"; "false" always sends changeFromQuantity null. Shopify
                          lowers `available` itself when it takes an order, so with compare and
                          swap a push that follows a Shopify sale it has not yet seen is a
                          CONFLICT; "false" is Shopify's advice for a system that is the source
                          of truth for the quantity.

Rate limit: Shopify meters GraphQL calls by query cost (a leaky bucket per app and store). A
THROTTLED answer becomes a transient failure whose wait is computed from
`extensions.cost.throttleStatus`: (requested cost - currently available) / restore rate.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import aiohttp

from stocksync.connectors.base import PushOutcome, PushRequest
from stocksync.connectors.http import HttpConnector, TransportError, short
from stocksync.connectors.options import mapping_option, option, required_option
from stocksync.connectors.secrets import ConnectorConfigError, Secret
from stocksync.domain.sync import FailureCode, Store

DEFAULT_API_VERSION = "2026-04"
DEFAULT_REASON = "correction"
REFERENCE_APP = "stocksync"
FALLBACK_THROTTLE_WAIT_S = 1.0

MUTATION = """\
mutation StocksyncSetAvailable($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) @idempotent(key: %s) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}"""

USER_ERROR_CODES = {
    "CHANGE_FROM_QUANTITY_STALE": FailureCode.CONFLICT,
    "COMPARE_QUANTITY_STALE": FailureCode.CONFLICT,
    "INVALID_INVENTORY_ITEM": FailureCode.LISTING_NOT_FOUND,
    "INVALID_LOCATION": FailureCode.LISTING_NOT_FOUND,
    "ITEM_NOT_STOCKED_AT_LOCATION": FailureCode.LISTING_NOT_FOUND,
    "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED": FailureCode.MARKETPLACE_ERROR,
}
TRANSIENT_USER_ERROR_CODES = {"IDEMPOTENCY_CONCURRENT_REQUEST"}
GID = re.compile(r"^gid://shopify/(?P<type>\w+)/(?P<id>\d+)$")


class ShopifyCredentials:
    __slots__ = ("access_token",)

    def __init__(self, access_token: Secret) -> None:
        self.access_token = access_token

    def __repr__(self) -> str:
        return f"ShopifyCredentials(access_token={self.access_token!r})"


class ShopifyConnector(HttpConnector):
    def __init__(self, endpoint_base: str, credentials: ShopifyCredentials, location_id: str, *,
                 inventory_item_ids: dict[str, str] | None = None,
                 api_version: str = DEFAULT_API_VERSION, reason: str = DEFAULT_REASON,
                 compare_and_swap: bool = True,
                 session: aiohttp.ClientSession | None = None) -> None:
        super().__init__([credentials.access_token], session=session)
        self.url = f"{endpoint_base.rstrip('/')}/admin/api/{api_version}/graphql.json"
        self._credentials = credentials
        self.location_id = _gid("Location", location_id)
        self.inventory_item_ids = {sku: _gid("InventoryItem", item)
                                   for sku, item in (inventory_item_ids or {}).items()}
        self.reason = reason
        self.compare_and_swap = compare_and_swap

    @classmethod
    def from_settings(cls, store: Store, secret: Secret | None) -> ShopifyConnector:
        if secret is None:
            raise ConnectorConfigError(
                f"store {store.store_id}: Shopify needs an access token (set secret_ref)")
        base = option(store, "base_url") or f"https://{required_option(store, 'shop')}"
        location_id = required_option(store, "location_id")
        inventory_item_ids = mapping_option(store, "inventory_item_ids")
        compare_and_swap = (option(store, "compare_and_swap") or "true").lower()
        if compare_and_swap not in ("true", "false"):
            raise ConnectorConfigError(
                f"store {store.store_id}: option compare_and_swap must be true or false")
        try:
            return cls(base, ShopifyCredentials(secret), location_id,
                       inventory_item_ids=inventory_item_ids,
                       api_version=option(store, "api_version") or DEFAULT_API_VERSION,
                       reason=option(store, "reason") or DEFAULT_REASON,
                       compare_and_swap=compare_and_swap == "true")
        except ValueError as exc:  # an id that is not a Shopify id of its kind
            raise ConnectorConfigError(f"store {store.store_id}: {exc}") from None

    def inventory_item_id(self, store_sku: str) -> str | None:
        mapped = self.inventory_item_ids.get(store_sku)
        if mapped is not None:
            return mapped
        try:
            return _gid("InventoryItem", store_sku)
        except ValueError:
            return None

    def build_body(self, request: PushRequest, inventory_item_id: str) -> dict[str, Any]:
        return {
            "query": MUTATION % json.dumps(request.record_id),
            "variables": {"input": {
                "name": "available",
                "reason": self.reason,
                "referenceDocumentUri":
                    f"gid://{REFERENCE_APP}/SyncRecord/{quote(request.record_id, safe='')}",
                "quantities": [{
                    "inventoryItemId": inventory_item_id,
                    "locationId": self.location_id,
                    "quantity": request.qty,
                    "changeFromQuantity":
                        request.last_pushed_qty if self.compare_and_swap else None,
                }],
            }},
        }

    async def set_quantity(self, request: PushRequest) -> PushOutcome:
        item = self.inventory_item_id(request.store_sku)
        if item is None:
            return PushOutcome.failed(
                FailureCode.LISTING_NOT_FOUND,
                f"no Shopify inventory item for store SKU {request.store_sku} "
                "(map it in the inventory_item_ids option)")
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "X-Shopify-Access-Token": self._credentials.access_token.reveal()}
        body = json.dumps(self.build_body(request, item)).encode()
        try:
            answer = await self._send("POST", self.url, headers=headers, body=body)
        except TransportError as exc:
            return exc.outcome
        payload = answer.json()
        if answer.status != 200:
            return _http_error(answer.status, payload, answer.text, answer.retry_after())
        if not isinstance(payload, dict):
            return PushOutcome.transient(FailureCode.MARKETPLACE_ERROR,
                                         "Shopify answered 200 without a JSON object")
        if payload.get("errors"):
            return _graphql_errors(payload)
        result = (payload.get("data") or {}).get("inventorySetQuantities")
        if not isinstance(result, dict):
            return PushOutcome.failed(FailureCode.UNKNOWN,
                                      "Shopify answered without an inventorySetQuantities result")
        user_errors = result.get("userErrors") or []
        if user_errors:
            return _user_errors(user_errors)
        return PushOutcome.ok()


def _gid(kind: str, value: str) -> str:
    """`value` as a Shopify global id of `kind` (numeric ids are accepted)."""
    value = value.strip()
    if value.isdigit():
        return f"gid://shopify/{kind}/{value}"
    match = GID.match(value)
    if match is None or match["type"] != kind:
        raise ValueError(f"{value!r} is not a Shopify {kind} id")
    return value


def _errors_text(payload: Any, fallback: str) -> str:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str(e.get("message") if isinstance(e, dict) else e) for e in errors)
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {v}" for k, v in errors.items())
    return fallback or "no body"


def _http_error(status: int, payload: Any, text: str,
                retry_after: float | None) -> PushOutcome:
    message = short(f"Shopify {status}: {_errors_text(payload, text)}")
    if status == 429:
        if retry_after is None and isinstance(payload, dict):
            retry_after = throttle_wait(payload)
        return PushOutcome.transient(FailureCode.RATE_LIMITED, message,
                                     retry_after or FALLBACK_THROTTLE_WAIT_S)
    if status >= 500:
        return PushOutcome.transient(FailureCode.MARKETPLACE_ERROR, message, retry_after)
    if status in (401, 403):
        return PushOutcome.failed(FailureCode.AUTH_EXPIRED, message)
    if status == 404:  # the GraphQL endpoint itself: wrong shop or API version
        return PushOutcome.failed(FailureCode.STORE_NOT_CONFIGURED, message)
    if status in (402, 423):  # frozen (unpaid) or locked shop
        return PushOutcome.failed(FailureCode.MARKETPLACE_ERROR, message)
    if status in (400, 422):
        return PushOutcome.failed(FailureCode.VALIDATION, message)
    return PushOutcome.failed(FailureCode.UNKNOWN, message)


def _graphql_errors(payload: dict[str, Any]) -> PushOutcome:
    errors = payload["errors"]
    codes = set()
    for error in errors if isinstance(errors, list) else []:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if isinstance(extensions, dict) and extensions.get("code"):
            codes.add(str(extensions["code"]))
    message = short(f"Shopify: {_errors_text(payload, '')}")
    if "THROTTLED" in codes or message.lower().endswith("throttled"):
        wait = throttle_wait(payload)
        return PushOutcome.transient(FailureCode.RATE_LIMITED, message,
                                     FALLBACK_THROTTLE_WAIT_S if wait is None else wait)
    if "ACCESS_DENIED" in codes:
        return PushOutcome.failed(FailureCode.AUTH_EXPIRED, message)
    if "INTERNAL_SERVER_ERROR" in codes:
        return PushOutcome.transient(FailureCode.MARKETPLACE_ERROR, message)
    return PushOutcome.failed(FailureCode.VALIDATION, message)


def _user_errors(user_errors: list[Any]) -> PushOutcome:
    first = user_errors[0] if isinstance(user_errors[0], dict) else {}
    code = str(first.get("code") or "")
    text = "; ".join(
        f"{e.get('code')}: {e.get('message')}" if isinstance(e, dict) else str(e)
        for e in user_errors)
    message = short(f"Shopify userErrors: {text}")
    if code in TRANSIENT_USER_ERROR_CODES:
        return PushOutcome.transient(FailureCode.MARKETPLACE_ERROR, message)
    if code in USER_ERROR_CODES:
        return PushOutcome.failed(USER_ERROR_CODES[code], message)
    if code.startswith(("INVALID_", "NON_MUTABLE", "NO_DUPLICATE", "IDEMPOTENCY_KEY")):
        return PushOutcome.failed(FailureCode.VALIDATION, message)
    return PushOutcome.failed(FailureCode.UNKNOWN, message)


def throttle_wait(payload: dict[str, Any]) -> float | None:
    """Seconds until the bucket holds the requested cost again, from extensions.cost."""
    cost = (payload.get("extensions") or {}).get("cost")
    if not isinstance(cost, dict):
        return None
    status = cost.get("throttleStatus") or {}
    try:
        requested = float(cost["requestedQueryCost"])
        available = float(status["currentlyAvailable"])
        restore = float(status["restoreRate"])
    except (KeyError, TypeError, ValueError):
        return None
    if restore <= 0:
        return None
    return max(0.0, (requested - available) / restore)
