"""The reference push pipeline over a log: stock, records, dedup and what it emits."""

from __future__ import annotations

from collections import Counter, defaultdict
from itertools import accumulate, pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.events import StockEvent
from stocksync.domain.push import LoggedEvent, PushReplay, replay_pushes
from stocksync.domain.stock import RejectionReason, fold
from stocksync.domain.sync import SoldOutPolicy, SyncStatus
from stocksync.domain.sync_config import SyncConfig

from .builders import SKU, W1, W2, mapping, new_order, received_manually, sale
from .push_builders import cause, config, rule
from .strategies import RETENTION_MS, event_logs

modest = settings(max_examples=100, deadline=None)


def logged(*timed: tuple[int, StockEvent]) -> list[LoggedEvent]:
    """(log time, event) pairs as a log, at offsets 0, 1, ..."""
    return [LoggedEvent(event, at, cause(event, offset))
            for offset, (at, event) in enumerate(timed)]


def test_the_apples_example_pushes_46_before_and_after_shipping() -> None:
    """50 apples listed in three stores: an order of 4 pushes 46 everywhere, and shipping it
    pushes 46 again (PRODUCT.md §1, Sumtracker)."""
    # R1 lists W1 in a Shopify, an Etsy and an Amazon store
    stores = ("shopify-1", "etsy-1", "amazon-1")
    sync_config = config(rule(stores=stores))
    log = logged(
        # 50 apples arrive, then the three listings are mapped (each pushes 50)
        (0, received_manually(50)),
        *[(10, mapping(s, "apple")) for s in stores],
        # an order for 4 is booked, 5 s later
        (5_000, new_order("O1", 4)),
        # the order ships 5 s after that
        (10_000, sale(4, order_id="O1")),
    )
    result = replay_pushes(log, sync_config)
    pushed = [(r.store_id, r.before_qty, r.movement, r.after_qty) for r in result.pushes]
    expected = [(s, 50, 0, 50) for s in sorted(stores)]
    expected += [(s, 50, -4, 46) for s in sorted(stores)] + [(s, 46, 0, 46) for s in sorted(stores)]
    assert expected == pushed
    assert () == result.skipped


def test_a_hundred_sales_in_one_second_push_once() -> None:
    """100 sales of one apple within one second: 99 SKIPPED, each superseded by the next, and one
    PENDING with the quantity after the 100th sale."""
    # 200 apples, one listing; 100 sales at log times 3000..3099
    sales = [sale(1) for _ in range(100)]
    log = logged((0, received_manually(200)), (1, mapping("S1", "a1")),
                 *[(3_000 + n, each) for n, each in enumerate(sales)])
    result = replay_pushes(log, config(rule()))
    # the first window held the mapping's push; the sales' window holds 100 records
    sale_records = [r for r in result.records if r.cause.event_id in {s.event_id for s in sales}]
    expected = [(a.record_id, b.record_id) for a, b in pairwise(sale_records)]
    assert 99 == len(expected)
    assert expected == [(r.record_id, r.superseded_by) for r in result.skipped]
    assert [(200, 200), (101, 100)] == [(r.before_qty, r.after_qty) for r in result.pushes]
    assert sale_records[-1] == result.pushes[-1]


def test_before_qty_chains_across_triggers_even_when_skipped() -> None:
    """Each record's before qty is its listing's previous record's after qty, SKIPPED or not;
    the first one's is the available stock."""
    # 10 apples, one listing mapped; then +4 and -2 in one window and +6 in the next
    log = logged((0, received_manually(10)), (1, mapping("S1", "a1")), (2, received_manually(4)),
                 (3, sale(2)), (1_000, received_manually(6)))
    result = replay_pushes(log, config(rule(percent=50)))
    chain = [(r.before_qty, r.after_qty, r.status) for r in result.emitted]
    expected = [(10, 5, SyncStatus.SKIPPED), (5, 7, SyncStatus.SKIPPED),
                (7, 6, SyncStatus.PENDING), (6, 9, SyncStatus.PENDING)]
    assert expected == chain


def test_rejected_and_repeated_events_make_no_records() -> None:
    """An event that cannot apply, or a repeated event id, is rejected and makes no record."""
    # one listing; a sale from an empty warehouse, a stock-in, and that stock-in again
    stock_in = received_manually(3)
    log = logged((0, mapping("S1", "a1")), (1, sale(1)), (2, stock_in), (3, stock_in))
    result = replay_pushes(log, config(rule()))
    assert [RejectionReason.INSUFFICIENT_STOCK, RejectionReason.DUPLICATE_EVENT] == [
        rejected.reason for _, rejected in result.rejected
    ]
    assert [log[0].cause, log[2].cause] == [r.cause for r in result.records]


def test_the_replay_ends_with_every_window_closed() -> None:
    """After the replay no listing holds an open window, and each remembers its last quantity."""
    # two listings pushed at log time 5
    log = logged((0, received_manually(8)), (5, mapping("S1", "a1")), (5, mapping("S1", "a2")))
    result = replay_pushes(log, config(rule()))
    listings = result.listings[SKU]
    assert {("S1", "a1"): (8, None), ("S1", "a2"): (8, None)} == {
        key: (state.last_after_qty, state.window) for key, state in listings.listings.items()
    }


PROPERTY_CONFIG = SyncConfig(
    rules=config(
        rule("R1", warehouses=(W1,), stores=("S1",), percent=50),
        rule("R2", warehouses=(W1, W2), stores=("S2",), buffer=1, sold_out=SoldOutPolicy(3, "S2")),
    ).rules,
    stores=config(rule(stores=("S1",))).stores,  # S2 is not configured
)


@st.composite
def logs(draw: st.DrawFn) -> list[LoggedEvent]:
    """Random event logs after APPLE is mapped to S1 and S2, reaching the log 0 to 400 ms apart."""
    mapped = [mapping("S1", "a", event_id="m1"), mapping("S2", "b", event_id="m2")]
    events = mapped + draw(event_logs())
    gaps = draw(st.lists(st.integers(0, 400), min_size=len(events), max_size=len(events)))
    return [LoggedEvent(event, at, cause(event, offset))
            for offset, (event, at) in enumerate(zip(events, accumulate(gaps), strict=True))]


def replayed(log: list[LoggedEvent]) -> PushReplay:
    return replay_pushes(log, PROPERTY_CONFIG, closed_order_retention_ms=RETENTION_MS)


@modest
@given(logs())
def test_every_record_is_emitted_once_in_its_listings_order(log: list[LoggedEvent]) -> None:
    """Every record made is emitted exactly once, SKIPPED or PENDING, and each listing's records
    are emitted in the order they were made."""
    # a random log replayed
    result = replayed(log)
    assert Counter(r.record_id for r in result.records) == Counter(
        r.record_id for r in result.emitted
    )
    made, emitted = defaultdict(list), defaultdict(list)
    for each in result.records:
        made[each.merchant_sku, each.store_id, each.store_sku].append(each.record_id)
    for each in result.emitted:
        emitted[each.merchant_sku, each.store_id, each.store_sku].append(each.record_id)
    assert made == emitted


@modest
@given(logs())
def test_before_qty_is_the_previous_after_qty_of_the_listing(log: list[LoggedEvent]) -> None:
    """Within each listing, every record's before qty is the after qty of the one before it."""
    # a random log replayed
    result = replayed(log)
    expected, actual = [], []
    last: dict[tuple[str, str, str], int] = {}
    for each in result.records:
        key = (each.merchant_sku, each.store_id, each.store_sku)
        if key in last:
            expected.append(last[key])
            actual.append(each.before_qty)
        last[key] = each.after_qty
    assert expected == actual


@modest
@given(logs())
def test_the_replay_folds_the_stock_like_the_stock_fold(log: list[LoggedEvent]) -> None:
    """The replay's stock states and rejections are the plain stock fold's."""
    # the same events folded without pushes
    folded = fold([entry.event for entry in log], closed_order_retention_ms=RETENTION_MS)
    result = replayed(log)
    assert (folded.states, folded.rejected) == (result.stocks, result.rejected)
