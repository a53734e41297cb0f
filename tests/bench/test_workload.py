"""bench.workload: the shop workload of the throughput benchmark, checked against the stock fold."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from itertools import groupby

import pytest

from bench.workload import (
    WorkloadShape,
    setup_events,
    sku_name,
    stores_and_rules,
    traffic,
)
from stocksync.domain.events import (
    MappingChanged,
    OrderStatus,
    OrderSynced,
    SaleShipped,
    StockEvent,
    StockReceivedManually,
)
from stocksync.domain.stock import Rejected, SkuStock, apply
from stocksync.domain.sync_config import SyncConfig, validate_config
from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import ConfigSnapshot, decode_control, encode_control

SMALL = WorkloadShape(skus=200)
EVENTS = 20_000
T0 = 1_767_225_600_000


@pytest.fixture(scope="module")
def setup() -> list[StockEvent]:
    return setup_events(SMALL, start_ms=T0)


@pytest.fixture(scope="module")
def log() -> list[StockEvent]:
    return list(traffic(SMALL, EVENTS, start_ms=T0))


def kind(event: StockEvent) -> str:
    """The reason, with the order status for SYNC_ORDER."""
    if isinstance(event, OrderSynced):
        return f"{event.reason.value} {event.order_status.value}"
    return event.reason.value


def shares(events: list[StockEvent]) -> dict[str, float]:
    counts = Counter(kind(e) for e in events)
    return {k: n / len(events) for k, n in counts.items()}


def flash_sales(events: list[StockEvent]) -> list[list[StockEvent]]:
    """Runs of 10 or more consecutive new orders of one SKU."""
    def new_order_sku(event: StockEvent) -> str | None:
        is_new = isinstance(event, OrderSynced) and event.order_status is OrderStatus.NEW
        return event.merchant_sku if is_new else None

    runs = (list(run) for sku, run in groupby(events, new_order_sku) if sku is not None)
    return [run for run in runs if len(run) >= 10]


# -- the fold ------------------------------------------------------------------------------------


def test_almost_every_event_applies(setup: list[StockEvent], log: list[StockEvent]) -> None:
    """Setup then 20,000 traffic events fold with under 1% rejected (in fact none)."""
    states: dict[str, SkuStock] = {}
    rejected: Counter[tuple[str, str]] = Counter()
    for event in setup + log:
        state = states.get(event.merchant_sku) or SkuStock.empty(event.merchant_sku)
        outcome = apply(state, event)
        if isinstance(outcome, Rejected):
            rejected[(kind(event), outcome.reason.value)] += 1
        else:
            states[event.merchant_sku] = outcome
    assert sum(rejected.values()) < 0.01 * len(log), rejected.most_common()


def test_shipments_are_of_booked_orders_from_their_warehouse(
    setup: list[StockEvent], log: list[StockEvent]
) -> None:
    """Every sale ships an order that is booked, from the warehouse it is booked in."""
    states: dict[str, SkuStock] = {}
    strays = []
    for event in setup + log:
        state = states.get(event.merchant_sku) or SkuStock.empty(event.merchant_sku)
        if isinstance(event, SaleShipped):
            order = state.orders.get(event.order_id or "")
            if order is None or order.state.value != "BOOKED" or (
                    order.warehouse_id != event.warehouse_id):
                strays.append((event, order))
        outcome = apply(state, event)
        if not isinstance(outcome, Rejected):
            states[event.merchant_sku] = outcome
    assert [] == strays[:5]


# -- the mix -------------------------------------------------------------------------------------


def test_the_reason_mix_is_a_real_shops(log: list[StockEvent]) -> None:
    """Orders and shipments are the bulk; every other reason shows up at about its share."""
    expected = {
        "SYNC_ORDER NEW": 0.40, "STOCK_OUT_SALE": 0.33, "MOVE_TO_PACK": 0.04,
        "SYNC_ORDER CANCELLED": 0.03, "VOID_ORDER": 0.007, "REVERT_VOIDED_ORDER": 0.003,
        "CHANGE_WAREHOUSE": 0.008, "STOCK_IN_MANUAL": 0.035, "STOCK_IN_PURCHASE": 0.027,
        "PURCHASE_ORDER_PLACED": 0.027, "STOCK_COUNT": 0.035, "STOCK_OUT_TRANSFER": 0.017,
        "STOCK_IN_TRANSFER": 0.017, "STOCK_IN_RETURN_SCAN": 0.015,
        "STOCK_IN_RETURN_MANUAL": 0.005, "STOCK_OUT_MANUAL": 0.009, "PUSH_NOW": 0.005,
        "REFRESH_INVENTORY": 0.005,
    }
    actual = shares(log)
    assert set(expected) == set(actual)
    off = {k: (round(actual[k], 4), share) for k, share in expected.items()
           if not share / 2 <= actual[k] <= share * 1.5}
    assert {} == off
    assert actual["SYNC_ORDER NEW"] + actual["STOCK_OUT_SALE"] > 0.6


def test_popularity_is_skewed(log: list[StockEvent]) -> None:
    """The top 1% of SKUs get over a fifth of the events; the long tail still gets some."""
    per_sku = Counter(e.merchant_sku for e in log)
    top = sum(n for _, n in per_sku.most_common(SMALL.skus // 100))
    assert top > 0.2 * len(log)
    assert len(per_sku) > SMALL.skus * 0.9


def test_bursts_pile_triggers_on_a_hot_sku(log: list[StockEvent]) -> None:
    """Flash sales: 10-50 new orders in a row for a top 1% SKU, within 500 ms of event time."""
    runs = flash_sales(log)
    assert len(runs) >= 5
    hot = {sku_name(i) for i in range(SMALL.skus // 100)}
    for run in runs:
        assert run[0].merchant_sku in hot
        assert run[-1].occurred_at - run[0].occurred_at <= 500


def test_some_sku_gets_ten_triggers_within_500_ms(log: list[StockEvent]) -> None:
    """At least one SKU sees 10 or more triggers within 500 ms of event time."""
    times: dict[str, list[int]] = defaultdict(list)
    for event in log:
        times[event.merchant_sku].append(event.occurred_at)
    assert any(later - earlier <= 500
               for stamps in times.values()
               for earlier, later in zip(stamps, stamps[9:]))


def test_no_bursts_without_burst_probability() -> None:
    """With burst_probability 0 no SKU gets 10 new orders in a row."""
    calm = replace(SMALL, burst_probability=0.0)
    assert [] == flash_sales(list(traffic(calm, 5_000)))


# -- the log's form ------------------------------------------------------------------------------


def test_traffic_yields_exactly_count_events() -> None:
    """`count` events, however the last step's events fall."""
    assert [0, 1, 37, 1_000] == [len(list(traffic(SMALL, n))) for n in (0, 1, 37, 1_000)]


def test_traffic_is_deterministic_for_a_seed() -> None:
    """The same seed gives the same events; another seed other events."""
    assert list(traffic(SMALL, 2_000)) == list(traffic(SMALL, 2_000))
    assert list(traffic(SMALL, 2_000)) != list(traffic(replace(SMALL, seed=8), 2_000))
    assert setup_events(SMALL) == setup_events(SMALL)


def test_event_and_order_ids_are_unique(setup: list[StockEvent], log: list[StockEvent]) -> None:
    """No event id repeats across setup and traffic; every new order has its own order id."""
    event_ids = [e.event_id for e in setup + log]
    assert len(event_ids) == len(set(event_ids))
    new_orders = [e.order_id for e in log
                  if isinstance(e, OrderSynced) and e.order_status is OrderStatus.NEW]
    assert len(new_orders) == len(set(new_orders))


def test_event_time_never_goes_back(setup: list[StockEvent], log: list[StockEvent]) -> None:
    """Setup is at start_ms; traffic follows a few ms apart."""
    assert {T0} == {e.occurred_at for e in setup}
    times = [e.occurred_at for e in log]
    gaps = [later - earlier for earlier, later in zip([T0, *times], times)]
    assert 1 <= min(gaps) and max(gaps) <= 4


def test_every_event_encodes(setup: list[StockEvent], log: list[StockEvent]) -> None:
    """The publisher's Avro codec accepts the events, as it must to publish them."""
    codec = default_codec()
    for event in setup[:500] + log[:5_000]:
        assert event == codec.decode(codec.encode(event))


# -- setup and configuration ---------------------------------------------------------------------


def test_setup_stocks_every_warehouse_and_lists_best_sellers_more_widely() -> None:
    """Opening stock per SKU and warehouse; 1-5 listings per SKU, about 2.5 on average, the top
    1% in every store."""
    shape = WorkloadShape()
    events = setup_events(shape)
    stocked = Counter(e.merchant_sku for e in events if isinstance(e, StockReceivedManually))
    listings = Counter(e.merchant_sku for e in events if isinstance(e, MappingChanged))
    assert {shape.warehouses} == set(stocked.values()) and len(stocked) == shape.skus
    assert set(listings.values()) <= set(range(1, shape.stores + 1))
    assert 2.3 <= sum(listings.values()) / shape.skus <= 2.8
    assert {shape.stores} == {listings[sku_name(i)] for i in range(shape.skus // 100)}


def test_orders_come_from_stores_the_sku_is_listed_in(
    setup: list[StockEvent], log: list[StockEvent]
) -> None:
    """A SKU's orders come only from stores it is mapped to."""
    listed = {(e.merchant_sku, e.store_id) for e in setup if isinstance(e, MappingChanged)}
    ordered = {(e.merchant_sku, e.store_id) for e in log if isinstance(e, OrderSynced)}
    assert set() == ordered - listed


def test_stores_and_rules_are_a_valid_config() -> None:
    """Five simulated stores on mixed marketplaces, each in exactly one of three rules; the
    domain finds no problem, and the config survives the config snapshot's encoding."""
    stores, rules = stores_and_rules(WorkloadShape(), "http://127.0.0.1:8089", 40.0)
    config = SyncConfig({r.name: r for r in rules}, {s.store_id: s for s in stores})
    assert [] == validate_config(config)
    assert (5, 3) == (len(stores), len(rules))
    assert sorted(s.store_id for s in stores) == sorted(
        store_id for rule in rules for store_id in rule.store_ids)
    assert len({s.marketplace for s in stores}) > 1
    assert {("simulated", "http://127.0.0.1:8089", 40.0)} == {
        (s.connector.kind, s.connector.option("base_url"), s.connector.requests_per_second)
        for s in stores}
    assert all(rule.warehouses <= {"W1", "W2", "W3"} for rule in rules)
    assert len({rule.warehouses for rule in rules}) > 1
    snapshot = ConfigSnapshot("bench", 1, tuple(stores), tuple(rules))
    assert snapshot == decode_control(encode_control(snapshot))


def test_more_rules_than_stores_is_refused() -> None:
    """A rule without a store of its own would push nowhere."""
    with pytest.raises(ValueError):
        stores_and_rules(WorkloadShape(stores=2, rules=3), "http://x", 1.0)
