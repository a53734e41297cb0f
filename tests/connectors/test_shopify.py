"""Shopify: inventorySetQuantities against a stub of the Admin GraphQL API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from stocksync.connectors import MemoryLastPushed, Pusher, PushRequest, RetryPolicy
from stocksync.connectors.registry import connector_factory, connector_for
from stocksync.connectors.shopify import ShopifyConnector
from stocksync.connectors.simulated_marketplace import RunningServer, serve
from stocksync.domain.sync import FailureCode, PushResult, Store, SyncStatus

from .helpers import FakeTime, command, run, store
from .shopify_stub import ShopifyStub

TOKEN = "shpat_0123456789abcdef0123456789abcdef"
ITEM = "gid://shopify/InventoryItem/30322695"
LOCATION = "gid://shopify/Location/124656943"
ENV = {"SHOPIFY_TOKEN": TOKEN}
QUICK = RetryPolicy(max_attempts=3, base_delay=0.01, jitter=0.0, attempt_timeout=2.0)
Scenario = Callable[[ShopifyStub, RunningServer], Awaitable[Any]]


def with_shopify(scenario: Scenario, time_: FakeTime | None = None) -> Any:
    stub = ShopifyStub(TOKEN, (time_ or FakeTime()).clock)
    stub.stock(ITEM, LOCATION, 10)

    async def main() -> Any:
        async with serve(stub.app()) as server:
            return await scenario(stub, server)
    return run(main())


def shopify_store(server: RunningServer, **options: str) -> Store:
    options = {"base_url": server.url, "location_id": "124656943",
               "inventory_item_ids": '{"APPLE-RED": "30322695"}', **options}
    return store("SHOP", "shopify", secret_ref="SHOPIFY_TOKEN", **options)


def pusher(time_: FakeTime | None = None, env: dict[str, str] = ENV,
           policy: RetryPolicy = QUICK) -> Pusher:
    if time_ is None:
        return Pusher(connector_factory(env), MemoryLastPushed(), policy)
    return Pusher(connector_factory(env), MemoryLastPushed(), policy, clock=time_.clock,
                  sleep=time_.sleep)


async def push_all(stub: ShopifyStub, server: RunningServer, *pushes: tuple[str, int, str],
                   p: Pusher | None = None) -> list[PushResult]:
    """Push each (record id, qty, store SKU) in turn, with `p` or a pusher of its own."""
    if p is None:
        async with pusher() as own:
            return await push_all(stub, server, *pushes, p=own)
    return [await p.push(command(rid, qty, store_id="SHOP", store_sku=sku),
                         shopify_store(server)) for rid, qty, sku in pushes]


def test_a_push_sets_the_available_quantity_with_the_documented_request() -> None:
    """The mutation sets `available` absolutely, keyed by the record, and Shopify shows it."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> Any:
        [result] = await push_all(stub, server, ("R1", 7, "APPLE-RED"))
        return result, stub.levels[(ITEM, LOCATION)], stub.requests[0], stub.headers[0]

    result, level, body, headers = with_shopify(scenario)
    assert (SyncStatus.SUCCESSFULLY, 7) == (result.status, level)
    assert TOKEN == headers["X-Shopify-Access-Token"]
    assert 'inventorySetQuantities(input: $input) @idempotent(key: "R1")' in body["query"]
    assert {"input": {"name": "available", "reason": "correction",
                      "referenceDocumentUri": "gid://stocksync/SyncRecord/R1",
                      "quantities": [{"inventoryItemId": ITEM, "locationId": LOCATION,
                                      "quantity": 7, "changeFromQuantity": None}]}} == (
        body["variables"])


def test_the_next_push_compares_against_the_last_pushed_quantity() -> None:
    """The second push sends changeFromQuantity = the first push's quantity."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> Any:
        results = await push_all(stub, server, ("R1", 7, "APPLE-RED"), ("R2", 5, "APPLE-RED"))
        changes = [body["variables"]["input"]["quantities"][0]["changeFromQuantity"]
                   for body in stub.requests]
        return [r.status for r in results], changes, stub.levels[(ITEM, LOCATION)]

    assert ([SyncStatus.SUCCESSFULLY] * 2, [None, 7], 5) == with_shopify(scenario)


def test_a_stale_change_from_quantity_is_a_conflict() -> None:
    """A sale in Shopify between our pushes: CHANGE_FROM_QUANTITY_STALE -> CONFLICT."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> list[PushResult]:
        async with pusher() as p:
            [first] = await push_all(stub, server, ("R1", 7, "APPLE-RED"), p=p)
            stub.levels[(ITEM, LOCATION)] = 6  # sold one in Shopify
            [second] = await push_all(stub, server, ("R2", 5, "APPLE-RED"), p=p)
        return [first, second]

    first, second = with_shopify(scenario)
    assert (SyncStatus.SUCCESSFULLY, SyncStatus.FAILED, FailureCode.CONFLICT, 1) == (
        first.status, second.status, second.failure_code, second.attempts)
    assert "CHANGE_FROM_QUANTITY_STALE" in (second.failure_message or "")


def test_unknown_items_and_locations_are_listing_not_found() -> None:
    """An unmapped SKU, an unknown item and an unknown location: LISTING_NOT_FOUND."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> list[Any]:
        async with pusher() as p:
            unmapped = await p.push(command("R1", store_id="SHOP", store_sku="PEAR"),
                                    shopify_store(server))
            unknown = await p.push(command("R2", store_id="SHOP", store_sku="999"),
                                   shopify_store(server))
            nowhere = await p.push(command("R3", store_id="SHOP", store_sku="APPLE-RED"),
                                   shopify_store(server, location_id="1"))
        return [(r.failure_code, r.failure_message) for r in (unmapped, unknown, nowhere)]

    unmapped, unknown, nowhere = with_shopify(scenario)
    assert (FailureCode.LISTING_NOT_FOUND, ("no Shopify inventory item for store SKU PEAR "
                                            "(map it in the inventory_item_ids option)")) == (
        unmapped)
    assert FailureCode.LISTING_NOT_FOUND == unknown[0] and "INVALID_INVENTORY_ITEM" in unknown[1]
    assert FailureCode.LISTING_NOT_FOUND == nowhere[0] and "INVALID_LOCATION" in nowhere[1]


def test_an_invalid_input_is_a_validation_failure() -> None:
    """A reason Shopify does not know: INVALID_REASON -> VALIDATION, not retried."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> PushResult:
        async with pusher() as p:
            return await p.push(command("R1", store_id="SHOP", store_sku="APPLE-RED"),
                                shopify_store(server, reason="because"))

    result = with_shopify(scenario)
    assert (FailureCode.VALIDATION, 1) == (result.failure_code, result.attempts)
    assert "INVALID_REASON" in (result.failure_message or "")


def test_a_negative_quantity_is_a_validation_failure() -> None:
    """INVALID_QUANTITY_NEGATIVE maps to VALIDATION."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> Any:
        connector = connector_for(shopify_store(server), ENV)
        try:
            return await connector.set_quantity(PushRequest("R1", "APPLE-RED", -1))
        finally:
            await connector.aclose()

    outcome = with_shopify(scenario)
    assert FailureCode.VALIDATION == outcome.failure_code
    assert "INVALID_QUANTITY_NEGATIVE" in outcome.message


def test_a_wrong_token_is_auth_expired() -> None:
    """401 from Shopify (invalid access token): AUTH_EXPIRED, one attempt."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> PushResult:
        async with pusher(env={"SHOPIFY_TOKEN": "shpat_revoked"}) as p:
            return await p.push(command("R1", store_id="SHOP", store_sku="APPLE-RED"),
                                shopify_store(server))

    result = with_shopify(scenario)
    assert (FailureCode.AUTH_EXPIRED, 1) == (result.failure_code, result.attempts)
    assert "Invalid API key or access token" in (result.failure_message or "")


def test_a_missing_scope_is_auth_expired() -> None:
    """403 (the app lacks write_inventory): AUTH_EXPIRED."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> PushResult:
        stub.forced.append((403, {"errors": "This action requires merchant approval for "
                                            "write_inventory scope."}))
        async with pusher() as p:
            return await p.push(command("R1", store_id="SHOP", store_sku="APPLE-RED"),
                                shopify_store(server))

    assert FailureCode.AUTH_EXPIRED == with_shopify(scenario).failure_code


def test_server_errors_are_retried() -> None:
    """A 503 and a 500, then success: SUCCESSFULLY after three attempts."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> PushResult:
        stub.forced += [(503, {"errors": "Service Unavailable"}),
                        (500, {"errors": "Internal Server Error"})]
        async with pusher() as p:
            return await p.push(command("R1", store_id="SHOP", store_sku="APPLE-RED"),
                                shopify_store(server))

    result = with_shopify(scenario)
    assert (SyncStatus.SUCCESSFULLY, 3) == (result.status, result.attempts)


def test_a_throttled_call_waits_for_the_bucket_to_restore_the_cost() -> None:
    """Bucket of 20 points restoring 4/s, cost 10: the third call is THROTTLED with 0 points
    available, so the wait is (10 - 0) / 4 = 2.5 s; then it succeeds."""
    time_ = FakeTime()

    async def scenario(stub: ShopifyStub, server: RunningServer) -> list[PushResult]:
        stub.maximum_available = stub.available = 20.0
        stub.restore_rate = 4.0
        async with pusher(time_, policy=RetryPolicy(burst=10)) as p:  # no waits of our own
            return await push_all(stub, server, ("R1", 1, "APPLE-RED"),
                                  ("R2", 2, "APPLE-RED"), ("R3", 3, "APPLE-RED"), p=p)

    results = with_shopify(scenario, time_)
    assert [1, 1, 2] == [r.attempts for r in results]
    assert {SyncStatus.SUCCESSFULLY} == {r.status for r in results}
    assert [2.5] == time_.sleeps


def test_the_same_record_pushed_twice_is_applied_once() -> None:
    """A redelivered record reaching Shopify again (another worker) replays, applied once."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> Any:
        statuses = []
        for _ in range(2):
            [result] = await push_all(stub, server, ("R1", 7, "APPLE-RED"))
            statuses.append(result.status)
        return statuses, dict(stub.applied), len(stub.requests)

    assert ([SyncStatus.SUCCESSFULLY] * 2, {"R1": 1}, 2) == with_shopify(scenario)


def test_a_reused_key_with_other_parameters_is_refused() -> None:
    """IDEMPOTENCY_KEY_PARAMETER_MISMATCH: the key names one operation only (VALIDATION)."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> Any:
        connector = connector_for(shopify_store(server), ENV)
        try:
            await connector.set_quantity(PushRequest("R1", "APPLE-RED", 7))
            return await connector.set_quantity(PushRequest("R1", "APPLE-RED", 8))
        finally:
            await connector.aclose()

    outcome = with_shopify(scenario)
    assert FailureCode.VALIDATION == outcome.failure_code
    assert "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" in outcome.message


def test_another_api_version_is_not_configured() -> None:
    """A GraphQL endpoint that does not exist (404) is a store configuration problem."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> PushResult:
        async with pusher() as p:
            return await p.push(command("R1", store_id="SHOP", store_sku="APPLE-RED"),
                                shopify_store(server, api_version="2019-04"))

    assert FailureCode.STORE_NOT_CONFIGURED == with_shopify(scenario).failure_code


def test_store_skus_map_to_inventory_item_gids() -> None:
    """Mapped SKUs, numeric ids and gids all become InventoryItem gids; others map to None."""
    connector = ShopifyConnector("https://acme.myshopify.com", _credentials(), "7",
                                 inventory_item_ids={"A": "11", "B": "gid://shopify/InventoryItem/12"})
    assert (["gid://shopify/InventoryItem/11", "gid://shopify/InventoryItem/12",
             "gid://shopify/InventoryItem/13", None, None], "gid://shopify/Location/7") == (
        [connector.inventory_item_id(sku) for sku in
         ("A", "B", "13", "gid://shopify/Location/13", "PEAR")], connector.location_id)
    assert "https://acme.myshopify.com/admin/api/2026-04/graphql.json" == connector.url


def _credentials() -> Any:
    from stocksync.connectors.secrets import Secret
    from stocksync.connectors.shopify import ShopifyCredentials

    return ShopifyCredentials(Secret(TOKEN))


def test_without_compare_and_swap_a_shopify_sale_does_not_block_the_next_push() -> None:
    """compare_and_swap=false: changeFromQuantity is always null, so a Shopify sale between
    two pushes is simply overwritten by our quantity."""
    async def scenario(stub: ShopifyStub, server: RunningServer) -> Any:
        async with pusher() as p:
            settings = shopify_store(server, compare_and_swap="false")
            first = await p.push(command("R1", 7, store_id="SHOP", store_sku="APPLE-RED"),
                                 settings)
            stub.levels[(ITEM, LOCATION)] = 6  # sold one in Shopify
            second = await p.push(command("R2", 6, store_id="SHOP", store_sku="APPLE-RED"),
                                  settings)
        changes = [body["variables"]["input"]["quantities"][0]["changeFromQuantity"]
                   for body in stub.requests]
        return [first.status, second.status], changes

    assert ([SyncStatus.SUCCESSFULLY] * 2, [None, None]) == with_shopify(scenario)


THROTTLED_429 = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
                 "extensions": {"cost": {"requestedQueryCost": 10, "actualQueryCost": None,
                                         "throttleStatus": {"maximumAvailable": 2000.0,
                                                            "currentlyAvailable": 0.0,
                                                            "restoreRate": 50.0}}}}


@pytest.mark.parametrize(("forced", "status", "code", "attempts", "sleeps"), [
    # HTTP 429 with a throttled body: wait (10 - 0) / 50 = 0.2 s, then succeed
    ((429, THROTTLED_429), SyncStatus.SUCCESSFULLY, None, 2, [0.2]),
    # a top-level ACCESS_DENIED error (the token lacks the scope)
    ((200, {"errors": [{"message": "Access denied for inventorySetQuantities field.",
                        "extensions": {"code": "ACCESS_DENIED"}}]}),
     SyncStatus.FAILED, FailureCode.AUTH_EXPIRED, 1, []),
    # a frozen (402) or locked (423) shop
    ((402, {"errors": "Unavailable Shop"}), SyncStatus.FAILED, FailureCode.MARKETPLACE_ERROR,
     1, []),
    ((423, {"errors": "Locked"}), SyncStatus.FAILED, FailureCode.MARKETPLACE_ERROR, 1, []),
    # the same key still in flight elsewhere: retried
    ((200, {"data": {"inventorySetQuantities": {"inventoryAdjustmentGroup": None, "userErrors": [
        {"code": "IDEMPOTENCY_CONCURRENT_REQUEST", "field": None,
         "message": "This request is currently in progress, please try again."}]}}}),
     SyncStatus.SUCCESSFULLY, None, 2, [0.01]),
])
def test_other_shopify_error_forms(forced: tuple[int, Any], status: SyncStatus,
                                   code: FailureCode | None, attempts: int,
                                   sleeps: list[float]) -> None:
    """429, ACCESS_DENIED, frozen or locked shops and a concurrent request map as documented."""
    time_ = FakeTime()

    async def scenario(stub: ShopifyStub, server: RunningServer) -> PushResult:
        stub.forced.append(forced)
        async with pusher(time_, policy=RetryPolicy(base_delay=0.01, jitter=0.0,
                                                    burst=10)) as p:
            [result] = await push_all(stub, server, ("R1", 7, "APPLE-RED"), p=p)
        return result

    result = with_shopify(scenario, time_)
    assert (status, code, attempts, sleeps) == (result.status, result.failure_code,
                                                 result.attempts, time_.sleeps)
