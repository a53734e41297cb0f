"""A stub of Shopify's Admin GraphQL endpoint for `inventorySetQuantities` (API 2026-04), on
loopback. It follows the documented shapes, error forms included:

- 401 `{"errors": "[API] Invalid API key or access token ..."}` without the right
  X-Shopify-Access-Token; 404 `{"errors": "Not Found"}` for another API version;
- the calculated-cost leaky bucket: every answer carries `extensions.cost.throttleStatus`; a call
  the bucket cannot pay gets `{"errors": [{"message": "Throttled", "extensions":
  {"code": "THROTTLED", ...}}]}`;
- the `@idempotent(key: ...)` directive (required from 2026-04): a repeated key with the same
  variables gets the original answer and applies once, with other variables the user error
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH;
- `userErrors { code field message }`: INVALID_NAME, INVALID_REASON, INVALID_REFERENCE_DOCUMENT,
  INVALID_INVENTORY_ITEM, INVALID_LOCATION, ITEM_NOT_STOCKED_AT_LOCATION,
  INVALID_QUANTITY_NEGATIVE and CHANGE_FROM_QUANTITY_STALE (compare and swap).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

API_VERSION = "2026-04"
MUTATION_COST = 10
REASONS = {"correction", "cycle_count_available", "damaged", "movement_created",
           "movement_updated", "movement_received", "movement_canceled", "other", "promotion",
           "quality_control", "received", "reservation_created", "reservation_deleted",
           "reservation_updated", "restock", "safety_stock", "shrinkage"}
IDEMPOTENT = re.compile(r'@idempotent\(\s*key:\s*"((?:[^"\\]|\\.)*)"\s*\)')
REFERENCE = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]+/[^/]+/.+$")
UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"


@dataclass
class ShopifyStub:
    token: str
    clock: Callable[[], float]
    # (inventory item gid, location gid) -> available; an item or location not named is unknown
    levels: dict[tuple[str, str], int] = field(default_factory=dict)
    items: set[str] = field(default_factory=set)
    locations: set[str] = field(default_factory=set)
    maximum_available: float = 2000.0
    restore_rate: float = 100.0
    available: float = 2000.0
    updated: float | None = None
    answers: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    applied: Counter[str] = field(default_factory=Counter)
    requests: list[dict[str, Any]] = field(default_factory=list)  # parsed bodies, in order
    headers: list[dict[str, str]] = field(default_factory=list)
    forced: list[tuple[int, Any]] = field(default_factory=list)  # next answers: (status, body)

    def stock(self, item: str, location: str, available: int) -> None:
        self.items.add(item)
        self.locations.add(location)
        self.levels[(item, location)] = available

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/admin/api/{version}/graphql.json", self._graphql)
        return app

    # -- the endpoint ----------------------------------------------------------------------

    async def _graphql(self, request: web.Request) -> web.Response:
        self.headers.append(dict(request.headers))
        if request.headers.get("X-Shopify-Access-Token") != self.token:
            return web.json_response({"errors": UNAUTHORIZED}, status=401)
        if request.match_info["version"] != API_VERSION:
            return web.json_response({"errors": "Not Found"}, status=404)
        body = await request.json()
        self.requests.append(body)
        if self.forced:
            status, forced_body = self.forced.pop(0)
            return web.json_response(forced_body, status=status)
        if not self._pay(MUTATION_COST):
            return web.json_response({
                "errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": self._cost(None)})
        query, variables = body.get("query", ""), body.get("variables") or {}
        match = IDEMPOTENT.search(query)
        if "inventorySetQuantities" not in query or match is None:
            return web.json_response({"errors": [{
                "message": "inventorySetQuantities requires the @idempotent directive",
                "extensions": {"code": "BAD_REQUEST"}}], "extensions": self._cost(MUTATION_COST)})
        key = json.loads(f'"{match.group(1)}"')
        canonical = json.dumps(variables, sort_keys=True)
        if key in self.answers:
            seen, data = self.answers[key]
            if seen != canonical:
                data = self._user_errors([(
                    "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", ["input"],
                    ("The same idempotency key cannot be used with different operation "
                     "parameters."))])
            return web.json_response({"data": data, "extensions": self._cost(MUTATION_COST)})
        input_ = variables.get("input") or {}
        missing = [i for i, q in enumerate(input_.get("quantities") or [])
                   if "changeFromQuantity" not in q]
        if missing:
            return web.json_response({"errors": [{
                "message": "changeFromQuantity must be given for every quantity (null to skip "
                           "the compare-and-swap check)",
                "extensions": {"code": "BAD_REQUEST"}}], "extensions": self._cost(MUTATION_COST)})
        data = self._set(input_)
        if not data["inventorySetQuantities"]["userErrors"]:
            self.answers[key] = (canonical, data)
            self.applied[key] += 1
        return web.json_response({"data": data, "extensions": self._cost(MUTATION_COST)})

    def _set(self, input_: dict[str, Any]) -> dict[str, Any]:
        errors: list[tuple[str, list[str], str]] = []
        if input_.get("name") not in ("available", "on_hand"):
            errors.append(("INVALID_NAME", ["input", "name"],
                           "The quantity name must be either 'available' or 'on_hand'."))
        if input_.get("reason") not in REASONS:
            errors.append(("INVALID_REASON", ["input", "reason"],
                           "The specified reason is invalid."))
        uri = input_.get("referenceDocumentUri")
        if uri is not None and not REFERENCE.match(uri):
            errors.append(("INVALID_REFERENCE_DOCUMENT", ["input", "referenceDocumentUri"],
                           "The specified reference document is invalid."))
        changes = []
        for i, quantity in enumerate(input_.get("quantities") or []):
            path = ["input", "quantities", str(i)]
            item, location = quantity.get("inventoryItemId"), quantity.get("locationId")
            if item not in self.items:
                errors.append(("INVALID_INVENTORY_ITEM", [*path, "inventoryItemId"],
                               "The specified inventory item could not be found."))
            elif location not in self.locations:
                errors.append(("INVALID_LOCATION", [*path, "locationId"],
                               "The specified location could not be found."))
            elif (item, location) not in self.levels:
                errors.append(("ITEM_NOT_STOCKED_AT_LOCATION", [*path, "locationId"],
                               "The specified inventory item is not stocked at the location."))
            elif quantity.get("quantity", -1) < 0:
                errors.append(("INVALID_QUANTITY_NEGATIVE", [*path, "quantity"],
                               "The quantity can't be negative."))
            elif (quantity["changeFromQuantity"] is not None
                  and quantity["changeFromQuantity"] != self.levels[(item, location)]):
                errors.append(("CHANGE_FROM_QUANTITY_STALE", [*path, "changeFromQuantity"],
                               "The changeFromQuantity value does not match persisted value."))
            else:
                changes.append(((item, location), quantity["quantity"]))
        if errors:
            return self._user_errors(errors)
        for level, value in changes:
            self.levels[level] = value
        group = f"gid://shopify/InventoryAdjustmentGroup/{len(self.applied) + 1}"
        return {"inventorySetQuantities": {"inventoryAdjustmentGroup": {"id": group},
                                           "userErrors": []}}

    @staticmethod
    def _user_errors(errors: list[tuple[str, list[str], str]]) -> dict[str, Any]:
        return {"inventorySetQuantities": {"inventoryAdjustmentGroup": None, "userErrors": [
            {"code": code, "field": path, "message": message} for code, path, message in errors]}}

    # -- the calculated-cost leaky bucket ---------------------------------------------------

    def _pay(self, cost: float) -> bool:
        now = self.clock()
        if self.updated is not None:
            self.available = min(self.maximum_available,
                                 self.available + (now - self.updated) * self.restore_rate)
        self.updated = now
        if self.available < cost:
            return False
        self.available -= cost
        return True

    def _cost(self, actual: float | None) -> dict[str, Any]:
        return {"cost": {"requestedQueryCost": MUTATION_COST, "actualQueryCost": actual,
                         "throttleStatus": {"maximumAvailable": self.maximum_available,
                                            "currentlyAvailable": self.available,
                                            "restoreRate": self.restore_rate}}}
