"""connector_for: settings and the worker's environment make a store's connector."""

from __future__ import annotations

import json

import pytest

from stocksync.connectors import ConnectorConfigError, MemoryConnector, MissingSecretError
from stocksync.connectors.registry import connector_for
from stocksync.connectors.shopee import ShopeeConnector
from stocksync.connectors.shopify import ShopifyConnector
from stocksync.connectors.simulated import SimulatedConnector
from stocksync.connectors.webhook import WebhookConnector

from .helpers import store

SHOPEE_SECRET = json.dumps({"partner_key": "pk-1", "access_token": "at-1"})
ENV = {"TOKEN": "tok-1", "SHOPEE": SHOPEE_SECRET}


@pytest.mark.parametrize(("kind", "secret_ref", "options", "expected"), [
    ("memory", None, {}, MemoryConnector),
    ("simulated", None, {"base_url": "http://127.0.0.1:1"}, SimulatedConnector),
    ("shopify", "TOKEN", {"shop": "acme.myshopify.com", "location_id": "1"}, ShopifyConnector),
    ("shopee", "SHOPEE", {"partner_id": "1", "shop_id": "2"}, ShopeeConnector),
    ("webhook", "TOKEN", {"url": "https://example.com/stock"}, WebhookConnector),
])
def test_each_kind_builds_its_connector(kind: str, secret_ref: str | None,
                                        options: dict[str, str], expected: type) -> None:
    """The kind picks the adapter class."""
    assert expected is type(connector_for(store("S1", kind, secret_ref=secret_ref, **options),
                                          ENV))


def test_an_unknown_kind_is_a_configuration_error() -> None:
    """A kind nobody implements is refused, listing the known ones."""
    with pytest.raises(ConnectorConfigError) as error:
        connector_for(store("S1", "etsy"), ENV)
    assert ("store S1: unknown connector kind 'etsy' (known: memory, shopee, shopify, "
            "simulated, webhook)") == str(error.value)


def test_a_missing_secret_names_the_variable() -> None:
    """A secret_ref whose variable is not set is a MissingSecretError naming it."""
    settings = store("S1", "shopify", secret_ref="SHOP_S1_TOKEN", shop="a.myshopify.com",
                     location_id="1")
    with pytest.raises(MissingSecretError) as error:
        connector_for(settings, {})
    assert "store S1: environment variable SHOP_S1_TOKEN (secret_ref) is not set" == str(
        error.value)


def test_a_kind_that_needs_a_secret_without_secret_ref_is_refused() -> None:
    """shopify without secret_ref: the error says the credential is missing."""
    with pytest.raises(MissingSecretError) as error:
        connector_for(store("S1", "shopify", shop="a.myshopify.com", location_id="1"), ENV)
    assert "store S1: connector 'shopify' needs a credential" in str(error.value)


@pytest.mark.parametrize(("kind", "options", "message"), [
    ("simulated", {}, "store S1: connector 'simulated' needs the option base_url"),
    ("shopify", {"shop": "a.myshopify.com"},
     "store S1: connector 'shopify' needs the option location_id"),
    ("shopify", {"shop": "a.myshopify.com", "location_id": "gid://shopify/Product/1"},
     "store S1: 'gid://shopify/Product/1' is not a Shopify Location id"),
    ("shopify", {"shop": "a", "location_id": "1", "inventory_item_ids": "[1]"},
     "store S1: option inventory_item_ids must be a JSON object of strings"),
    ("shopee", {"partner_id": "x1", "shop_id": "2"},
     "store S1: option partner_id='x1' is not a number"),
    ("shopee", {"partner_id": "1", "shop_id": "2", "listing_ids": '{"A": "x"}'},
     "store S1: listing_ids['A'] must be item_id[:model_id]"),
])
def test_bad_options_are_named(kind: str, options: dict[str, str], message: str) -> None:
    """Each unusable option is reported by name."""
    secret_ref = {"shopify": "TOKEN", "shopee": "SHOPEE"}.get(kind)
    with pytest.raises(ConnectorConfigError) as error:
        connector_for(store("S1", kind, secret_ref=secret_ref, **options), ENV)
    assert message == str(error.value)


def test_a_shopee_secret_that_is_not_the_expected_json_is_refused_without_its_value() -> None:
    """The error names the variable and the fields it needs, never the value."""
    settings = store("S1", "shopee", secret_ref="SHOPEE", partner_id="1", shop_id="2")
    with pytest.raises(ConnectorConfigError) as error:
        connector_for(settings, {"SHOPEE": "pk-secret-value"})
    assert ("store S1: environment variable SHOPEE (secret_ref) must hold a JSON object with "
            "the string fields partner_key, access_token") == str(error.value)
    assert error.value.__cause__ is None and error.value.__context__ is None
