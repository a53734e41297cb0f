"""Shopee: v2.product.update_stock against a stub of the Open Platform."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from stocksync.connectors import MemoryLastPushed, Pusher, PushRequest, RetryPolicy
from stocksync.connectors.registry import connector_factory, connector_for
from stocksync.connectors.shopee import sign
from stocksync.connectors.simulated_marketplace import RunningServer, serve
from stocksync.domain.sync import FailureCode, PushResult, Store, SyncStatus

from .helpers import command, run, store
from .shopee_stub import PATH, ShopeeStub

PARTNER_ID, SHOP_ID = 2001887, 14701711
PARTNER_KEY = "shpk4e6f5a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5"
ACCESS_TOKEN = "59777174636562737266615546704c6d"
ENV = {"SHOPEE_SECRET": json.dumps({"partner_key": PARTNER_KEY, "access_token": ACCESS_TOKEN})}
QUICK = RetryPolicy(max_attempts=4, base_delay=0.01, jitter=0.0, attempt_timeout=2.0)
Scenario = Callable[[ShopeeStub, RunningServer], Awaitable[Any]]


def with_shopee(scenario: Scenario, **stub_options: Any) -> Any:
    import time

    stub = ShopeeStub(PARTNER_ID, PARTNER_KEY, SHOP_ID, ACCESS_TOKEN, time.time,
                      items={800: {0: 3}, 900: {11: 1, 12: 2}}, **stub_options)

    async def main() -> Any:
        async with serve(stub.app()) as server:
            return await scenario(stub, server)
    return run(main())


def shopee_store(server: RunningServer, **options: str) -> Store:
    options = {"base_url": server.url, "partner_id": str(PARTNER_ID), "shop_id": str(SHOP_ID),
               "listing_ids": '{"TEE-RED-M": "900:12", "MUG": "800"}', **options}
    return store("SHOPEE-1", "shopee", secret_ref="SHOPEE_SECRET", **options)


async def push_one(server: RunningServer, record_id: str, qty: int, sku: str,
                   env: dict[str, str] = ENV, **options: str) -> PushResult:
    async with Pusher(connector_factory(env), MemoryLastPushed(), QUICK) as p:
        return await p.push(command(record_id, qty, store_id="SHOPEE-1", store_sku=sku),
                            shopee_store(server, **options))


def test_a_push_sets_the_seller_stock_of_a_model_with_a_signed_request() -> None:
    """The stub verifies the signature; the model's seller stock becomes the pushed qty."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> Any:
        result = await push_one(server, "R1", 25, "TEE-RED-M")
        return result, stub.items[900], stub.bodies[0], stub.params[0]

    result, models, body, params = with_shopee(scenario)
    assert (SyncStatus.SUCCESSFULLY, {11: 1, 12: 25}) == (result.status, models)
    assert {"item_id": 900, "stock_list": [{"model_id": 12, "seller_stock": [{"stock": 25}]}]} \
        == body
    assert {"partner_id", "timestamp", "access_token", "shop_id", "sign"} == set(params)


def test_an_item_without_variants_leaves_model_id_out() -> None:
    """A store SKU mapped to an item alone sends stock_list without model_id."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> Any:
        result = await push_one(server, "R1", 4, "MUG")
        return result.status, stub.items[800], stub.bodies[0]["stock_list"]

    assert (SyncStatus.SUCCESSFULLY, {0: 4}, [{"seller_stock": [{"stock": 4}]}]) == (
        with_shopee(scenario))


def test_a_store_sku_in_item_model_form_needs_no_mapping() -> None:
    """Store SKU "900:11" is item 900, model 11; a location_id option goes in seller_stock."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> Any:
        result = await push_one(server, "R1", 6, "900:11", location_id="IDZ")
        return result.status, stub.items[900][11], stub.bodies[0]["stock_list"]

    assert (SyncStatus.SUCCESSFULLY, 6,
            [{"model_id": 11, "seller_stock": [{"location_id": "IDZ", "stock": 6}]}]) == (
        with_shopee(scenario))


def test_the_signature_is_hmac_sha256_over_the_documented_base_string() -> None:
    """sign = HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id)."""
    import hashlib
    import hmac

    base = f"2001887{PATH}1655714431{ACCESS_TOKEN}14701711"
    assert hmac.new(b"key", base.encode(), hashlib.sha256).hexdigest() == sign(
        "key", 2001887, PATH, 1655714431, ACCESS_TOKEN, 14701711)


def test_a_wrong_access_token_or_partner_key_is_auth_expired() -> None:
    """error_auth (a stale token) and error_sign (a wrong partner key): AUTH_EXPIRED."""
    stale = {"SHOPEE_SECRET": json.dumps({"partner_key": PARTNER_KEY, "access_token": "old"})}
    wrong_key = {"SHOPEE_SECRET": json.dumps({"partner_key": "nope",
                                              "access_token": ACCESS_TOKEN})}

    async def scenario(stub: ShopeeStub, server: RunningServer) -> list[Any]:
        return [await push_one(server, "R1", 1, "MUG", env) for env in (stale, wrong_key)]

    token, key = with_shopee(scenario)
    assert (FailureCode.AUTH_EXPIRED, 1) == (token.failure_code, token.attempts)
    assert "error_auth" in (token.failure_message or "")
    assert (FailureCode.AUTH_EXPIRED, "error_sign") == (
        key.failure_code, (key.failure_message or "").split(":")[0].split()[-1])


def test_unknown_items_and_models_are_listing_not_found() -> None:
    """error_item_not_found, a model in failure_list, and an unmappable SKU: LISTING_NOT_FOUND."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> list[Any]:
        return [(await push_one(server, f"R{sku}", 1, sku)).failure_code
                for sku in ("777", "900:13", "PEAR")]

    assert [FailureCode.LISTING_NOT_FOUND] * 3 == with_shopee(scenario)


def test_a_stock_over_the_limit_is_a_validation_failure() -> None:
    """A failure_list entry with another reason: VALIDATION, with Shopee's reason."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> PushResult:
        return await push_one(server, "R1", 5_000_000, "TEE-RED-M")

    result = with_shopee(scenario)
    assert (FailureCode.VALIDATION, 1) == (result.failure_code, result.attempts)
    assert "Stock should be between 0 and 999999" in (result.failure_message or "")


def test_error_param_is_a_validation_failure() -> None:
    """error_param from Shopee: VALIDATION."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> PushResult:
        stub.forced.append((200, {"request_id": "rq1", "error": "error_param",
                                  "message": "Invalid stock_list."}))
        return await push_one(server, "R1", 5, "MUG")

    result = with_shopee(scenario)
    assert (FailureCode.VALIDATION, "Shopee error_param: Invalid stock_list. (request_id rq1)") \
        == (result.failure_code, result.failure_message)


def test_too_many_requests_are_retried_until_they_pass() -> None:
    """Shopee's 429 error_too_many_request is transient: the push backs off and succeeds."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> list[PushResult]:
        async with Pusher(connector_factory(ENV), MemoryLastPushed(), QUICK) as p:
            return [await p.push(command(f"R{i}", i, store_id="SHOPEE-1",
                                         store_sku="TEE-RED-M"), shopee_store(server))
                    for i in range(3)]

    results = with_shopee(scenario, rate_limit=25.0)  # one request per 40 ms
    assert {SyncStatus.SUCCESSFULLY} == {r.status for r in results}
    assert max(r.attempts for r in results) > 1


def test_server_errors_are_retried() -> None:
    """error_server / HTTP 5xx: retried, then SUCCESSFULLY."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> PushResult:
        stub.forced += [(500, {"request_id": "rq1", "error": "error_server",
                               "message": "Something went wrong."}),
                        (502, {"request_id": "rq2", "error": "", "message": ""})]
        return await push_one(server, "R1", 5, "MUG")

    result = with_shopee(scenario)
    assert (SyncStatus.SUCCESSFULLY, 3) == (result.status, result.attempts)


def test_pushing_the_same_record_twice_leaves_the_same_stock() -> None:
    """Shopee has no idempotency key; an absolute stock pushed twice is the same stock."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> Any:
        connector = connector_for(shopee_store(server), ENV)
        try:
            outcomes = [await connector.set_quantity(PushRequest("R1", "TEE-RED-M", 9))
                        for _ in range(2)]
        finally:
            await connector.aclose()
        return [o.is_ok for o in outcomes], stub.items[900][12]

    assert ([True, True], 9) == with_shopee(scenario)


def test_a_redelivered_record_is_not_sent_to_shopee_again() -> None:
    """The Pusher remembers the record it pushed: a redelivery makes no second call."""
    async def scenario(stub: ShopeeStub, server: RunningServer) -> Any:
        async with Pusher(connector_factory(ENV), MemoryLastPushed(), QUICK) as p:
            results = [await p.push(command("R1", 9, store_id="SHOPEE-1",
                                            store_sku="TEE-RED-M"), shopee_store(server))
                       for _ in range(2)]
        return [(r.status, r.attempts) for r in results], dict(stub.applied)

    assert ([(SyncStatus.SUCCESSFULLY, 1), (SyncStatus.SUCCESSFULLY, 0)], {(900, 12): 1}) == (
        with_shopee(scenario))
