"""Mappings (12), Refresh Inventory (15), Push Now (16), and events that cannot apply anywhere."""

import pytest

from stocksync.domain.events import MappingAction, StockEvent
from stocksync.domain.stock import RejectionReason, SkuStock, apply

from .builders import (
    SKU,
    applied,
    envelope,
    mapping,
    push_now,
    received_manually,
    refresh,
    rejection,
)


def test_adding_a_mapping_records_the_listing() -> None:
    """Add Mapping: the (store, store SKU) listing is mapped; the stock does not move."""
    # 5 in stock, listing S1/apple-1 is mapped
    state = applied(received_manually(5))
    after = applied(mapping("S1", "apple-1"), state=state)
    assert frozenset({("S1", "apple-1")}) == after.mappings
    assert state.warehouses == after.warehouses


def test_adding_a_mapping_twice_applies_without_change() -> None:
    """Adding an existing mapping applies (the listing is pushed again) and changes nothing."""
    # S1/apple-1 is mapped
    state = applied(mapping("S1", "apple-1"))
    # it is mapped again
    assert state is applied(mapping("S1", "apple-1"), state=state)


def test_removing_a_mapping_forgets_the_listing() -> None:
    """Remove Mapping: the listing is no longer mapped."""
    # S1/apple-1 and S2/apple-2 are mapped, then S1/apple-1 removed
    state = applied(mapping("S1", "apple-1"), mapping("S2", "apple-2"),
                    mapping("S1", "apple-1", MappingAction.REMOVE))
    assert frozenset({("S2", "apple-2")}) == state.mappings


def test_removing_an_absent_mapping_is_rejected() -> None:
    """Removing a mapping that does not exist is MAPPING_NOT_FOUND."""
    # S1/apple-1 was never mapped
    event = mapping("S1", "apple-1", MappingAction.REMOVE)
    assert RejectionReason.MAPPING_NOT_FOUND == rejection(applied(), event)


def test_a_refresh_applies_without_change() -> None:
    """Refresh Inventory applies and leaves the very same state."""
    # 5 in stock, a refresh
    state = applied(received_manually(5))
    assert state is applied(refresh(), state=state)


def test_a_push_now_applies_without_change() -> None:
    """Push Now applies and leaves the very same state."""
    # 5 in stock, a push to S1 and S2
    state = applied(received_manually(5))
    assert state is applied(push_now("S1", "S2"), state=state)


def test_an_event_of_another_sku_is_rejected() -> None:
    """An event whose merchant_sku is not the state's is WRONG_SKU."""
    # a stock-in for PEAR applied to APPLE's state
    state = SkuStock.empty(SKU)
    assert RejectionReason.WRONG_SKU == rejection(state, received_manually(5, sku="PEAR"))


def test_an_object_that_is_no_stock_event_type_is_a_programming_error() -> None:
    """apply raises TypeError for the bare envelope class: only the 19 event types apply."""
    # a bare StockEvent
    with pytest.raises(TypeError):
        apply(SkuStock.empty(SKU), StockEvent(**envelope()))
