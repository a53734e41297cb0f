"""A stub of Shopee Open Platform v2 `POST /api/v2/product/update_stock`, on loopback.

It checks the shop-level common parameters in the query string (partner_id, timestamp within 5
minutes, access_token, shop_id, sign = hex HMAC-SHA256 of partner_id + path + timestamp +
access_token + shop_id keyed with the partner key) and the body
{"item_id", "stock_list": [{"model_id"?, "seller_stock": [{"location_id"?, "stock"}]}]}, and
answers in Shopee's envelope: {"request_id", "error", "message", "response": {"success_list",
"failure_list"}}. Errors: error_param, error_sign / error_auth (HTTP 403), error_item_not_found,
per-model failures in `failure_list`, error_too_many_request (HTTP 429) over its rate limit.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PATH = "/api/v2/product/update_stock"
STOCK_LIMIT = 999_999
_request_ids = itertools.count(1)


@dataclass
class ShopeeStub:
    partner_id: int
    partner_key: str
    shop_id: int
    access_token: str
    clock: Callable[[], float]  # seconds; for the timestamp check and the rate limit
    # item_id -> {model_id (0: an item without variants) -> seller stock}
    items: dict[int, dict[int, int]] = field(default_factory=dict)
    rate_limit: float | None = None  # requests per second
    last_request_at: float | None = None
    applied: Counter[tuple[int, int]] = field(default_factory=Counter)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    params: list[dict[str, str]] = field(default_factory=list)
    forced: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(PATH, self._update_stock)
        return app

    def _answer(self, error: str = "", message: str = "", response: Any = None,
                status: int = 200) -> web.Response:
        body: dict[str, Any] = {"request_id": f"rq{next(_request_ids):08d}", "error": error,
                                "message": message}
        if response is not None:
            body["response"] = response
        return web.json_response(body, status=status)

    async def _update_stock(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        self.params.append(params)
        refused = self._check_common(params)
        if refused is not None:
            return refused
        now = self.clock()
        if self.rate_limit is not None and self.last_request_at is not None \
                and now - self.last_request_at < 1 / self.rate_limit:
            return self._answer("error_too_many_request",
                                "Too many requests, please try again later.", status=429)
        self.last_request_at = now
        body = await request.json()
        self.bodies.append(body)
        if self.forced:
            status, forced = self.forced.pop(0)
            return web.json_response(forced, status=status)
        item_id, stock_list = body.get("item_id"), body.get("stock_list")
        if not isinstance(item_id, int) or not isinstance(stock_list, list) or not stock_list:
            return self._answer("error_param", "item_id and stock_list are required.")
        if item_id not in self.items:
            return self._answer("error_item_not_found", f"Item {item_id} not found.")
        successes, failures = [], []
        for entry in stock_list:
            model_id = entry.get("model_id", 0)
            seller_stock = entry.get("seller_stock")
            if not isinstance(seller_stock, list) or not seller_stock \
                    or not isinstance(seller_stock[0].get("stock"), int):
                return self._answer("error_param", "seller_stock.stock is required.")
            stock = seller_stock[0]["stock"]
            if model_id not in self.items[item_id]:
                failures.append({"model_id": model_id, "failed_reason": "Model not found."})
            elif not 0 <= stock <= STOCK_LIMIT:
                failures.append({"model_id": model_id,
                                 "failed_reason": f"Stock should be between 0 and {STOCK_LIMIT}."})
            else:
                self.items[item_id][model_id] = stock
                self.applied[(item_id, model_id)] += 1
                success = {"model_id": model_id, "stock": stock}
                if "location_id" in seller_stock[0]:
                    success["location_id"] = seller_stock[0]["location_id"]
                successes.append(success)
        return self._answer(response={"success_list": successes, "failure_list": failures})

    def _check_common(self, params: dict[str, str]) -> web.Response | None:
        names = ("partner_id", "timestamp", "access_token", "shop_id", "sign")
        missing = [name for name in names if not params.get(name)]
        if missing:
            return self._answer("error_param", f"Missing {missing[0]}.")
        if not all(params[name].isdigit() for name in ("partner_id", "timestamp", "shop_id")):
            return self._answer("error_param", "partner_id, timestamp, shop_id must be numbers.")
        if abs(self.clock() - int(params["timestamp"])) > 300:
            return self._answer("error_param", "Invalid timestamp.")
        if int(params["partner_id"]) != self.partner_id:
            return self._answer("error_param", "Invalid partner_id.")
        base = f"{params['partner_id']}{PATH}{params['timestamp']}{params['access_token']}" \
               f"{params['shop_id']}"
        expected = hmac.new(self.partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, params["sign"]):
            return self._answer("error_sign", "Wrong sign.", status=403)
        if params["access_token"] != self.access_token or int(params["shop_id"]) != self.shop_id:
            return self._answer("error_auth", "Invalid access_token.", status=403)
        return None
