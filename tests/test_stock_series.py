"""A SKU's available stock over time (stocksync.stock_series.series_of), checked against the
reference fold: each point is the fold of the log up to its event, nothing else makes a point."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.events import (
    OrderStatus,
    OrderSynced,
    PushNowRequested,
    SaleShipped,
    StockEvent,
    StockReceivedManually,
)
from stocksync.domain.push import LoggedEvent
from stocksync.domain.stock import fold
from stocksync.domain.sync import Cause
from stocksync.stock_series import series_of


def logged(events: list[tuple[int, StockEvent]]) -> list[LoggedEvent]:
    return [LoggedEvent(e, at, Cause(e.event_id, "stock-events", 0, n))
            for n, (at, e) in enumerate(events)]


def ev(kind: type[StockEvent], n: int, sku: str = "A", warehouse: str = "W1",
       **fields: object) -> StockEvent:
    return kind(event_id=f"{sku}-{n}", merchant_sku=sku, warehouse_id=warehouse,
                occurred_at=1_000 + n, source="test", **fields)  # type: ignore[call-arg]


LOG = logged([
    (100, ev(StockReceivedManually, 1, qty=10)),
    (200, ev(StockReceivedManually, 1, qty=10)),  # a repeated id: rejected, no point
    (300, ev(StockReceivedManually, 2, "B", qty=99)),  # another SKU
    (400, ev(OrderSynced, 3, order_id="O1", store_id="S", qty=4, order_status=OrderStatus.NEW)),
    (500, ev(PushNowRequested, 4, store_ids=("S",))),  # changes no stock: no point
    (600, ev(SaleShipped, 5, qty=50)),  # more than there is: rejected, no point
    (700, ev(StockReceivedManually, 6, warehouse="W2", qty=3)),
])


def test_a_point_per_change_of_available_stock() -> None:
    series = series_of(LOG, "A")
    assert series == {"merchant_sku": "A", "truncated": False, "points": [
        {"log_time": 100, "available": 10, "warehouses": {"W1": 10}},
        {"log_time": 400, "available": 6, "warehouses": {"W1": 6}},
        {"log_time": 700, "available": 9, "warehouses": {"W1": 6, "W2": 3}},
    ]}


def test_since_starts_with_the_stock_at_that_instant_as_of_counts_it() -> None:
    assert [(450, 6), (700, 9)] == [(p["log_time"], p["available"])
                                    for p in series_of(LOG, "A", since_ms=450)["points"]]
    # An event logged at `since` itself is in the stock at `since`, as for as_of.
    assert [(400, 6), (700, 9)] == [(p["log_time"], p["available"])
                                    for p in series_of(LOG, "A", since_ms=400)["points"]]
    assert [(100, 10), (400, 6), (700, 9)] == [
        (p["log_time"], p["available"]) for p in series_of(LOG, "A", since_ms=50)["points"]]


def test_the_newest_points_within_the_limit() -> None:
    series = series_of(LOG, "A", limit=2)
    assert (True, [6, 9]) == (series["truncated"], [p["available"] for p in series["points"]])


def test_a_sku_without_events_has_no_series() -> None:
    assert series_of(LOG, "C") is None
    # Events that all were rejected still make a series: the SKU is known, its stock is zero.
    only_rejected = logged([(100, ev(SaleShipped, 1, "D", qty=1))])
    assert {"merchant_sku": "D", "truncated": False, "points": []} == series_of(only_rejected,
                                                                                  "D")


quantities = st.lists(st.tuples(st.sampled_from(["in", "out", "order"]),
                                st.sampled_from(["W1", "W2"]), st.integers(1, 20)),
                      max_size=30)


@settings(max_examples=200, deadline=None)
@given(steps=quantities)
def test_each_point_is_the_reference_fold_of_the_log_up_to_it(steps: list) -> None:
    events = []
    for n, (kind, warehouse, qty) in enumerate(steps):
        if kind == "in":
            events.append(ev(StockReceivedManually, n, warehouse=warehouse, qty=qty))
        elif kind == "out":
            events.append(ev(SaleShipped, n, warehouse=warehouse, qty=qty))
        else:
            events.append(ev(OrderSynced, n, warehouse=warehouse, order_id=f"O{n}",
                             store_id="S", qty=qty, order_status=OrderStatus.NEW))
    log = logged([(10 * (n + 1), e) for n, e in enumerate(events)])
    series = series_of(log, "A")
    if not events:
        assert series is None
        return
    previous: dict = {}  # no stock before the first event
    for entry in log:
        state = fold([e.event for e in log if e.log_time <= entry.log_time]).state("A")
        available = {w: s.available for w, s in sorted(state.warehouses.items())}
        point = next((p for p in series["points"] if p["log_time"] == entry.log_time), None)
        if available != previous:
            assert point == {"log_time": entry.log_time, "available": sum(available.values()),
                             "warehouses": available}
        else:
            assert point is None
        previous = available
