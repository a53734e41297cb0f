"""The OpenAPI description against the app it describes: a valid document, every served route and
method described and nothing more, each operation's role as its guard enforces it, parameters
as the query parsers take them, and real answers valid under its schemas. No broker: the app
is built, never started; its aiohttp application serves the guard's answers."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import validate

from stocksync.domain.sku_stock import SkuStock, WarehouseStock
from stocksync.domain.sync import (
    ConnectorSettings,
    FailureCode,
    Rounding,
    SoldOutPolicy,
    Store,
    SyncRule,
    SyncStatus,
)
from stocksync.domain.views import stock_view
from stocksync.projections.paging import PAGING_PARAMETERS
from stocksync.projections.queries import RECORD_PARAMETERS
from stocksync.projections.sync_logs import LOG_PARAMETERS
from stocksync.projections.views import ListingHistory, SkuSummary
from stocksync.schemas.push_codec import rule_to_avro, store_to_avro
from stocksync.settings import Settings
from stocksync.streams.app import create_app
from stocksync.streams.auth import Role
from stocksync.streams.history_api import listing_json, record_json, summary_json
from stocksync.streams.openapi import UNDOCUMENTED, openapi_document
from stocksync.streams.stock_fold import FoldCounters
from stocksync.streams.sync_log_api import entry_json
from tests.projections.histories import entry, failed, record

METHODS = ("get", "put", "post", "delete", "patch")
TOKENS = {Role.VIEWER: "viewer-token", Role.OPERATOR: "operator-token"}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    home: Path = tmp_path_factory.mktemp("openapi")
    settings = Settings(home=home, api_tokens=",".join(
        f"{role.name.lower()}:{token}" for role, token in TOKENS.items()))
    yield create_app(settings).app


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def _served(app: Any) -> dict[str, set[str]]:
    """The app's routes and their methods, without the HEAD faust adds to each."""
    return {path: {m.lower() for m in view.get_methods()} - {"head"}
            for path, view in app.web.views.items()}


def _described(document: dict[str, Any]) -> dict[str, set[str]]:
    return {path: {m for m in item if m in METHODS} for path, item in document["paths"].items()}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def _guarded_role(view: Any, method: str) -> Role | None:
    """The role `Guard.requires` wraps a view method with; None for an unguarded one."""
    handler = view.methods[method].__func__
    # The code's own name: functools.wraps gives the wrapper the handler's __qualname__.
    if not handler.__code__.co_qualname.startswith("Guard.requires."):
        return None
    return inspect.getclosurevars(handler).nonlocals["role"]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(json.loads(json.dumps(document)))
    assert document["openapi"].startswith("3.1.")


def test_every_served_route_is_described_with_its_methods_and_nothing_else(
        app: Any, document: dict[str, Any]) -> None:
    served = _served(app)
    assert set(UNDOCUMENTED) <= set(served), "an exclusion names a route no longer served"
    assert {p: m for p, m in served.items() if p not in UNDOCUMENTED} == _described(document)


def test_each_operation_needs_the_role_its_guard_enforces(app: Any,
                                                          document: dict[str, Any]) -> None:
    """x-required-role and security as `Guard.requires` wraps each view method; the rest is
    public and says so."""
    views = app.web.views
    for path, method, operation in _operations(document):
        role = _guarded_role(views[path], method)
        if role is None:
            assert operation["security"] == [] and "x-required-role" not in operation, path
        else:
            assert operation["x-required-role"] == role.name.lower(), (method, path)
            assert operation["security"] == [{"bearerAuth": []}], (method, path)
            assert "401" in operation["responses"], (method, path)
            assert ("403" in operation["responses"]) == (role is Role.OPERATOR), (method, path)


def test_the_served_app_refuses_as_described_and_serves_the_document(
        app: Any, document: dict[str, Any]) -> None:
    """Over HTTP: no token is 401 wherever a role is needed, a viewer's token is 403 exactly
    where the operator role is, and /openapi.json answers without a token."""
    async def exchange() -> tuple[dict[tuple[str, str], tuple[int, int]], Any]:
        server = TestServer(app.web.web_app)
        await server.start_server()
        try:
            # A guard answers at once; a handler run by mistake must not hang the test.
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                statuses = {}
                for path, method, operation in _operations(document):
                    if "x-required-role" not in operation:
                        continue
                    url = server.make_url(path.replace("{", "").replace("}", ""))
                    async with session.request(method, url) as anonymous:
                        without = anonymous.status
                    headers = {"Authorization": f"Bearer {TOKENS[Role.VIEWER]}"}
                    if operation["x-required-role"] == "operator":
                        async with session.request(method, url, headers=headers) as viewer:
                            statuses[(method, path)] = (without, viewer.status)
                    else:
                        statuses[(method, path)] = (without, 403)
                async with session.get(server.make_url("/openapi.json")) as answer:
                    served = (answer.status, await answer.json())
            return statuses, served
        finally:
            await server.close()

    statuses, served = asyncio.run(exchange())
    assert {key: (without, viewer) for key, (without, viewer) in statuses.items()
            if (without, viewer) != (401, 403)} == {}
    assert len(statuses) == sum(1 for *_, o in _operations(document) if "x-required-role" in o)
    assert served == (200, json.loads(json.dumps(document)))


def _query_names(operation: dict[str, Any]) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}


def test_query_parameters_are_the_ones_the_parsers_take(document: dict[str, Any]) -> None:
    paths, schemas = document["paths"], document["components"]["schemas"]
    records, logs = RECORD_PARAMETERS | PAGING_PARAMETERS, LOG_PARAMETERS | PAGING_PARAMETERS
    assert _query_names(paths["/sync-records"]["get"]) == records
    assert _query_names(paths["/sync-recording"]["get"]) == records
    assert _query_names(paths["/sync-logs"]["get"]) == logs
    assert set(schemas["RecordFilter"]["properties"]) == RECORD_PARAMETERS
    assert set(schemas["LogFilter"]["properties"]) == LOG_PARAMETERS


def test_path_parameters_name_each_template_variable(document: dict[str, Any]) -> None:
    for path, _, operation in _operations(document):
        variables = {part[1:-1] for part in path.split("/") if part.startswith("{")}
        named = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert named == variables, path


def _validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                 "components": document["components"]})


def _answers() -> list[tuple[str, Any]]:
    """What the API's own JSON functions make, for each schema they answer with."""
    ok = dataclasses.replace(record(2), status=SyncStatus.SUCCESSFULLY, title=None)
    skipped = dataclasses.replace(record(1), status=SyncStatus.SKIPPED, superseded_by="r0002")
    broken = failed(3, FailureCode.LISTING_NOT_FOUND)
    store = Store("S1", "Shopee Main", "shopee",
                  ConnectorSettings("shopify", (("base_url", "http://x"),), "SHOP_TOKEN", 2.5))
    rule = SyncRule(name="main", warehouses=frozenset({"W1"}), store_ids=frozenset({"S1"}),
                    max_qty=500, rounding=Rounding.NEAREST, sold_out=SoldOutPolicy(5, "S1"))
    stock = SkuStock(merchant_sku="A", warehouses={"W1": WarehouseStock(in_stock=5, booked=1)})
    logged = entry("SO-1", status="FAILED", failure_code="TIMEOUT", failure_message="slow",
                   details=(("source", "shopee"), ("total", "120000")))
    return [
        ("SyncRecord", record_json(ok)), ("SyncRecord", record_json(skipped)),
        ("SyncRecord", record_json(broken)),
        ("SkuSummary", summary_json(SkuSummary("APPLE", broken, frozenset({"r0003"})))),
        ("ListingHistory", listing_json(ListingHistory("S1", "a1", (skipped, ok)))),
        ("ListingHistory", listing_json(ListingHistory("S1", "a1", (skipped,)))),
        ("SyncLogEntry", entry_json(logged)), ("SyncLogEntry", entry_json(entry("A"))),
        ("Store", store_to_avro(store)), ("SyncRule", rule_to_avro(rule)),
        ("StockView", stock_view(stock)),
        ("Stats", {"worker": "http://127.0.0.1:6066", "ready": True, "assigned_partitions": [0],
                   "config_versions": {"0": 3}, "open_windows": 0, **FoldCounters().as_dict()}),
    ]


@pytest.mark.parametrize(("schema", "answer"), _answers())
def test_the_apis_answers_are_valid_under_their_schemas(document: dict[str, Any], schema: str,
                                                        answer: Any) -> None:
    _validator(document, schema).validate(json.loads(json.dumps(answer)))


@pytest.mark.parametrize(("schema", "answer"), [
    ("SyncRecord", {**record_json(record(1)), "status": "DONE"}),
    ("SyncRecord", {k: v for k, v in record_json(record(1)).items() if k != "store_sku"}),
    ("SyncRecord", {**record_json(record(1)), "extra": 1}),
    ("SyncLogEntry", {**entry_json(entry("A")), "kind": "INVOICE"}),
    ("RetryRequest", {"record_ids": ["r1"], "filter": {"status": "FAILED"}}),
    ("RetryRequest", {"filter": {"status": "FAILED", "limit": "5"}}),
    ("RetryRequest", {"record_ids": []}),
])
def test_the_schemas_refuse_what_the_api_never_sends_or_takes(document: dict[str, Any],
                                                              schema: str, answer: Any) -> None:
    with pytest.raises(ValidationError):
        _validator(document, schema).validate(answer)


def test_bulk_bodies_by_ids_or_filter_are_valid(document: dict[str, Any]) -> None:
    retry, resync = _validator(document, "RetryRequest"), _validator(document, "ResyncRequest")
    retry.validate({"record_ids": ["r1", "r2"]})
    retry.validate({"filter": {"failure_reason": "AUTH_EXPIRED", "range": "week"}})
    resync.validate({"filter": {"kind": "ORDER", "subject_id": "SO-1"}})
    with pytest.raises(ValidationError):
        resync.validate({"filter": {"merchant_sku": "A"}})  # a sync-records parameter
