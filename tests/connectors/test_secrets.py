"""Credentials never show: not in reprs, results, exceptions or logs of failing pushes."""

from __future__ import annotations

import json
import logging
import pickle
from typing import Any

import pytest
import structlog
from aiohttp import web

from stocksync.connectors import MemoryLastPushed, Pusher, RetryPolicy, Secret
from stocksync.connectors.registry import connector_factory, connector_for
from stocksync.connectors.secrets import ConnectorConfigError
from stocksync.connectors.shopee import ShopeeCredentials
from stocksync.connectors.shopify import ShopifyCredentials
from stocksync.connectors.simulated_marketplace import create_marketplace_app, serve
from stocksync.connectors.webhook import WebhookCredentials
from stocksync.domain.sync import Store

from .helpers import command, run, store

TOKEN = "tok-6b1f0c9e2d7a4-SECRET"
PARTNER_KEY = "pk-93c1e5a0f7b2d-SECRET"
ENV = {"SHOP_TOKEN": TOKEN,
       "SHOPEE": json.dumps({"partner_key": PARTNER_KEY, "access_token": TOKEN})}
QUICK = RetryPolicy(max_attempts=2, base_delay=0.01, jitter=0.0, attempt_timeout=1.0)


def test_a_secret_masks_itself() -> None:
    """repr, str and f-strings show a mask; only reveal() gives the value; no pickling."""
    secret = Secret(TOKEN)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r}", repr([secret])]
    assert not any(TOKEN in text for text in shown)
    assert TOKEN == secret.reveal()
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_resolved_credentials_mask_themselves_in_repr() -> None:
    """The credential objects of every adapter print masks."""
    credentials = [ShopifyCredentials(Secret(TOKEN)),
                   ShopeeCredentials(Secret(PARTNER_KEY), Secret(TOKEN)),
                   WebhookCredentials(Secret(TOKEN))]
    shown = " ".join(repr(c) for c in credentials)
    assert (False, False) == (TOKEN in shown, PARTNER_KEY in shown)
    assert "ShopeeCredentials(partner_key=Secret('********'), access_token=Secret('********'))" \
        == repr(credentials[1])


def test_connector_settings_hold_only_the_reference() -> None:
    """repr(ConnectorSettings) names the variable, and no value exists to show."""
    shown = repr(store("S1", "shopify", secret_ref="SHOP_TOKEN", shop="a.myshopify.com"))
    assert "secret_ref='SHOP_TOKEN'" in shown and TOKEN not in shown


async def _echo(request: web.Request) -> web.Response:
    """A marketplace that quotes the whole request back in its error (it happens)."""
    body = await request.text()
    return web.Response(status=400, text=f"bad request {request.path_qs} "
                                         f"{dict(request.headers)} {body}")


def _stores(echo_url: str, marketplace_url: str) -> list[Store]:
    shopee = {"partner_id": "1", "shop_id": "2"}
    shopify = {"location_id": "1", "inventory_item_ids": '{"SKU-1": "5"}'}
    return [
        # an auth error from the simulated marketplace (it wants another token)
        store("S1", "simulated", secret_ref="SHOP_TOKEN", base_url=marketplace_url),
        # a Shopify that refuses the token, a Shopee that refuses the token in the query string
        store("S2", "shopify", secret_ref="SHOP_TOKEN", base_url=marketplace_url, **shopify),
        store("S3", "shopee", secret_ref="SHOPEE", base_url=marketplace_url, **shopee),
        # marketplaces that quote the request, token included, in their errors
        store("S4", "simulated", secret_ref="SHOP_TOKEN", base_url=echo_url),
        store("S5", "shopee", secret_ref="SHOPEE", base_url=echo_url, **shopee),
        store("S6", "shopify", secret_ref="SHOP_TOKEN", base_url=echo_url, **shopify),
        store("S7", "webhook", secret_ref="SHOP_TOKEN", url=f"{echo_url}/hook"),
        # bad URLs: nothing listens, not a URL at all, not http
        store("S8", "shopee", secret_ref="SHOPEE", base_url="http://127.0.0.1:9", **shopee),
        store("S9", "shopee", secret_ref="SHOPEE", base_url="http://[::1", **shopee),
        store("S10", "webhook", secret_ref="SHOP_TOKEN", url="ftp://example.invalid/x"),
        # settings that cannot make a connector
        store("S11", "shopee", secret_ref="SHOP_TOKEN", **shopee),  # the token is not the JSON
    ]


def test_failing_pushes_never_show_a_credential(caplog: pytest.LogCaptureFixture) -> None:
    """Auth errors, echoing marketplaces and bad URLs: results and logs hold no secret."""
    caplog.set_level(logging.DEBUG)

    async def main() -> list[Any]:
        echo = web.Application()
        echo.router.add_route("*", "/{tail:.*}", _echo)
        marketplace = create_marketplace_app(latency=0, rate_limit=None,
                                             tokens={"S1": "another"})
        async with serve(echo) as echo_server, serve(marketplace) as marketplace_server:
            stores = _stores(echo_server.url, marketplace_server.url)
            async with Pusher(connector_factory(ENV), MemoryLastPushed(), QUICK) as p:
                return [await p.push(command(f"R{s.store_id}", store_id=s.store_id), s)
                        for s in stores]

    with structlog.testing.capture_logs() as logs:
        results = run(main())
    shown = repr(results) + repr(logs) + caplog.text
    assert [] == [r.store_id for r in results if r.failure_code is None]
    assert (False, False) == (TOKEN in shown, PARTNER_KEY in shown)
    assert 11 == len([entry for entry in logs if entry["event"] == "push_failed"])


def test_configuration_errors_never_show_a_credential() -> None:
    """Errors about unusable secrets name the variable, not the value (nor chain it)."""
    settings = store("S1", "shopee", secret_ref="SHOP_TOKEN", partner_id="1", shop_id="2")
    with pytest.raises(ConnectorConfigError) as error:
        connector_for(settings, ENV)
    chain = [error.value, error.value.__cause__, error.value.__context__]
    assert "SHOP_TOKEN" in str(error.value)
    assert not any(TOKEN in repr(e) or TOKEN in str(e) for e in chain if e is not None)
