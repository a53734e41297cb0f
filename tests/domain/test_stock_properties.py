"""Properties of the stock fold over random logs of colliding events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings

from stocksync.domain.events import StockEvent
from stocksync.domain.stock import OrderState, Rejected, RejectionReason, SkuStock, apply, fold

from .strategies import RETENTION_MS, event_logs

modest = settings(max_examples=100, deadline=None)


def states_after_each_event(log: list[StockEvent]) -> Iterator[tuple[SkuStock, StockEvent, Any]]:
    """(state before, event, outcome) for every event of the log, folding per SKU."""
    states: dict[str, SkuStock] = {}
    for event in log:
        before = states.get(event.merchant_sku) or SkuStock.empty(event.merchant_sku)
        outcome = apply(before, event, closed_order_retention_ms=RETENTION_MS)
        yield before, event, outcome
        if not isinstance(outcome, Rejected):
            states[event.merchant_sku] = outcome


def derived_counters(state: SkuStock) -> dict[str, Counter[str]]:
    """booked, reserved and incoming per warehouse, summed from what they derive from."""
    booked: Counter[str] = Counter()
    for order in state.orders.values():
        if order.state is OrderState.BOOKED:
            booked[order.warehouse_id] += order.qty
    reserved: Counter[str] = Counter()
    for (warehouse_id, _store), qty in state.promotion_reserves.items():
        reserved[warehouse_id] += qty
    incoming: Counter[str] = Counter()
    for (warehouse_id, _po), qty in state.purchase_orders.items():
        incoming[warehouse_id] += qty
    return {"booked": booked, "reserved": reserved, "incoming": incoming}


def kept_counters(state: SkuStock) -> dict[str, Counter[str]]:
    """booked, reserved and incoming per warehouse as the state keeps them (zeros left out)."""
    return {
        name: +Counter({wid: getattr(stock, name) for wid, stock in state.warehouses.items()})
        for name in ("booked", "reserved", "incoming")
    }


def snapshot(state: SkuStock) -> tuple[Any, ...]:
    """Copies of everything in a state, to tell whether it was changed in place."""
    return (state.merchant_sku, dict(state.warehouses), dict(state.orders),
            dict(state.purchase_orders), dict(state.promotion_reserves), state.mappings)


@modest
@given(event_logs())
def test_kept_counters_equal_the_sums_they_derive_from(log: list[StockEvent]) -> None:
    """booked, reserved and incoming always equal the sums of BOOKED orders, reserves and POs."""
    for _before, _event, outcome in states_after_each_event(log):
        if not isinstance(outcome, Rejected):
            assert derived_counters(outcome) == kept_counters(outcome)


@modest
@given(event_logs())
def test_in_stock_is_never_negative(log: list[StockEvent]) -> None:
    """No applied event leaves a warehouse with fewer than 0 units in stock."""
    for _before, _event, outcome in states_after_each_event(log):
        if not isinstance(outcome, Rejected):
            assert [] == [w for w, s in outcome.warehouses.items() if s.in_stock < 0]


@modest
@given(event_logs())
def test_closed_orders_carry_their_closing_time_and_open_ones_none(log: list[StockEvent]) -> None:
    """An order has a closed_at exactly when it is not BOOKED."""
    for _before, _event, outcome in states_after_each_event(log):
        if not isinstance(outcome, Rejected):
            assert all((o.state is OrderState.BOOKED) == (o.closed_at is None)
                       for o in outcome.orders.values())


@modest
@given(event_logs())
def test_apply_never_changes_the_state_it_is_given(log: list[StockEvent]) -> None:
    """Whether the event applies or is rejected, the state passed in stays equal to itself."""
    for before, event, _outcome in states_after_each_event(log):
        copy = snapshot(before)
        apply(before, event, closed_order_retention_ms=RETENTION_MS)
        assert copy == snapshot(before)


@modest
@given(event_logs())
def test_rejected_events_have_no_effect_on_the_fold(log: list[StockEvent]) -> None:
    """Folding the log without its rejected events gives the same states."""
    result = fold(log, closed_order_retention_ms=RETENTION_MS)
    rejected_ids = {event.event_id for event, _ in result.rejected}
    kept = [event for event in log if event.event_id not in rejected_ids]
    assert result.states == fold(kept, closed_order_retention_ms=RETENTION_MS).states


@modest
@given(event_logs())
def test_folding_a_log_delivered_twice_equals_folding_it_once(log: list[StockEvent]) -> None:
    """Every event delivered again is a DUPLICATE_EVENT; the states are those of one delivery."""
    once = fold(log, closed_order_retention_ms=RETENTION_MS)
    twice = fold(log + log, closed_order_retention_ms=RETENTION_MS)
    assert once.states == twice.states
    assert [RejectionReason.DUPLICATE_EVENT] * len(log) == [
        rejected.reason for _, rejected in twice.rejected[len(once.rejected):]]


@modest
@given(event_logs())
def test_a_fold_resumed_halfway_equals_one_fold(log: list[StockEvent]) -> None:
    """Folding a log in two parts (passing states and seen ids on) equals folding it whole."""
    half = len(log) // 2
    head = fold(log[:half], closed_order_retention_ms=RETENTION_MS)
    tail = fold(log[half:], head.states, seen_event_ids=head.seen_event_ids,
                closed_order_retention_ms=RETENTION_MS)
    assert fold(log, closed_order_retention_ms=RETENTION_MS).states == tail.states
