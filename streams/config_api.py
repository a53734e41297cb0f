"""HTTP for the push configuration: stores and sync rules (list, get, put, delete).

Bodies use the Avro records' field names (schemas/config/*.avsc) as JSON. Changes go through the
same validation as the CLI, then to the `config` topic; the relay carries them to every partition.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import faust
from faust.web import Request, Response, View

from stocksync.config_admin import ConfigError, ConfigWriter, read_config
from stocksync.config_json import InvalidConfigJson, rule_from_json, store_from_json
from stocksync.schemas.push_codec import rule_to_avro, store_to_avro
from stocksync.settings import Settings
from stocksync.streams.auth import Guard, Role

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
                store = store_from_json(await _json_body(request), store_id)
                await asyncio.to_thread(writer.put_store, store)
            except (InvalidConfigJson, ConfigError) as exc:
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
                rule = rule_from_json(await _json_body(request), name)
                await asyncio.to_thread(writer.put_rule, rule)
            except (InvalidConfigJson, ConfigError, ValueError) as exc:
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
        raise InvalidConfigJson("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidConfigJson("the body must be a JSON object")
    return body
