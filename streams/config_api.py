"""HTTP for the push configuration: stores and sync rules (list, get, put, delete).

Bodies use the Avro records' field names (schemas/config/*.avsc) as JSON. Changes go through the
same validation as the CLI, then to the `config` topic; the relay carries them to every partition.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal, InvalidOperation
from typing import Any

import faust
from faust.web import Request, Response, View

from stocksync.config_admin import ConfigError, ConfigWriter, read_config
from stocksync.schemas.push_codec import rule_from_avro, rule_to_avro, store_from_avro, store_to_avro
from stocksync.settings import Settings
from stocksync.streams.auth import Guard, Role

STORE_DEFAULTS = {"connector_kind": "simulated", "connector_options": {}, "secret_ref": None,
                  "requests_per_second": 5.0}
RULE_DEFAULTS = {"percent": "100", "plus_units": 0, "buffer": 0, "zero_below": 0,
                 "max_qty": None, "rounding": "DOWN", "enabled": True,
                 "sold_out_threshold": None, "sold_out_store_id": None}
STORE_TYPES = {"store_id": str, "nickname": str, "marketplace": str, "connector_kind": str,
               "connector_options": dict, "secret_ref": (str, type(None)),
               "requests_per_second": (int, float)}
RULE_TYPES = {"name": str, "warehouses": list, "store_ids": list, "percent": (str, int, float),
              "plus_units": int, "buffer": int, "zero_below": int, "max_qty": (int, type(None)),
              "rounding": str, "enabled": bool, "sold_out_threshold": (int, type(None)),
              "sold_out_store_id": (str, type(None))}


class BadRequest(ValueError):
    """The request body is not a valid store or rule; the message says which field."""


def register_config_api(app: faust.App, settings: Settings, guard: Guard) -> None:
    writer = ConfigWriter(settings)

    async def current() -> Any:
        return await asyncio.to_thread(read_config, settings)

    @app.page("/stores")
    class StoresView(View):
        @guard.requires(Role.VIEWER)
        async def get(self, request: Request) -> Response:
            config = await current()
            return self.json({"stores": [store_to_avro(s) for _, s in
                                         sorted(config.stores.items())]})

    @app.page("/stores/{store_id}")
    class StoreView(View):
        @guard.requires(Role.VIEWER)
        async def get(self, request: Request, store_id: str) -> Response:
            store = (await current()).stores.get(store_id)
            if store is None:
                return self.json({"error": f"no store {store_id!r}"}, status=404)
            return self.json(store_to_avro(store))

        @guard.requires(Role.OPERATOR)
        async def put(self, request: Request, store_id: str) -> Response:
            try:
                body = _validated(await _json_body(request), STORE_TYPES, STORE_DEFAULTS,
                                  {"store_id": store_id})
                body["connector_options"] = {str(k): str(v) for k, v in
                                             body["connector_options"].items()}
                store = store_from_avro(body)
                await asyncio.to_thread(writer.put_store, store)
            except (BadRequest, ConfigError) as exc:
                return self.json({"error": str(exc)}, status=400)
            return self.json(store_to_avro(store))

        @guard.requires(Role.OPERATOR)
        async def delete(self, request: Request, store_id: str) -> Response:
            try:
                await asyncio.to_thread(writer.remove_store, store_id)
            except ConfigError as exc:
                return self.json({"error": str(exc)}, status=409)
            return self.json({"removed": store_id})

    @app.page("/rules")
    class RulesView(View):
        @guard.requires(Role.VIEWER)
        async def get(self, request: Request) -> Response:
            config = await current()
            return self.json({"rules": [rule_to_avro(r) for _, r in
                                        sorted(config.rules.items())]})

    @app.page("/rules/{name}")
    class RuleView(View):
        @guard.requires(Role.VIEWER)
        async def get(self, request: Request, name: str) -> Response:
            rule = (await current()).rules.get(name)
            if rule is None:
                return self.json({"error": f"no rule {name!r}"}, status=404)
            return self.json(rule_to_avro(rule))

        @guard.requires(Role.OPERATOR)
        async def put(self, request: Request, name: str) -> Response:
            try:
                body = _validated(await _json_body(request), RULE_TYPES, RULE_DEFAULTS,
                                  {"name": name})
                body["percent"] = _decimal_text(body["percent"])
                rule = rule_from_avro(body)
                await asyncio.to_thread(writer.put_rule, rule)
            except (BadRequest, ConfigError, ValueError) as exc:
                return self.json({"error": str(exc)}, status=400)
            return self.json(rule_to_avro(rule))

        @guard.requires(Role.OPERATOR)
        async def delete(self, request: Request, name: str) -> Response:
            try:
                await asyncio.to_thread(writer.remove_rule, name)
            except ConfigError as exc:
                return self.json({"error": str(exc)}, status=404)
            return self.json({"removed": name})


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _validated(body: dict[str, Any], types: dict[str, Any], defaults: dict[str, Any],
               path: dict[str, str]) -> dict[str, Any]:
    for key, value in path.items():
        if body.setdefault(key, value) != value:
            raise BadRequest(f"{key} in the body ({body[key]!r}) differs from the URL ({value!r})")
    unknown = sorted(set(body) - set(types))
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(unknown)}")
    merged = {**defaults, **body}
    for key, expected in types.items():
        if key not in merged:
            raise BadRequest(f"{key} is required")
        value = merged[key]
        if isinstance(value, bool) and expected is not bool:
            raise BadRequest(f"{key} has the wrong type")
        if not isinstance(value, expected):
            raise BadRequest(f"{key} has the wrong type")
    for key in ("warehouses", "store_ids"):
        if key in merged and not all(isinstance(item, str) for item in merged[key]):
            raise BadRequest(f"{key} must be a list of strings")
    return merged


def _decimal_text(value: Any) -> str:
    try:
        return str(Decimal(str(value)))
    except InvalidOperation:
        raise BadRequest(f"percent {value!r} is not a number") from None
