"""fold: the reference fold over a log of events, per merchant SKU."""

from stocksync.domain.events import StockReceivedManually
from stocksync.domain.stock import RejectionReason, SkuStock, WarehouseStock, fold

from .builders import (
    DAY_MS,
    SKU,
    W1,
    cancelled_order,
    envelope,
    new_order,
    received_manually,
    refresh,
    removed_manually,
    sale,
    voided,
)


def test_fold_keeps_one_state_per_merchant_sku() -> None:
    """Events of two SKUs fold into two independent states."""
    # 5 APPLE and 7 PEAR arrive
    result = fold([received_manually(5), received_manually(7, sku="PEAR")])
    assert {SKU: 5, "PEAR": 7} == {
        sku: state.warehouse(W1).in_stock for sku, state in result.states.items()}


def test_fold_lists_rejected_events_in_log_order_and_skips_them() -> None:
    """Rejected events are listed with their reason and leave the state as it was."""
    # 2 in stock; 3 removed (too many); O9 voided (unknown)
    too_many, unknown = removed_manually(3), voided("O9")
    result = fold([received_manually(2), too_many, unknown])
    assert [(too_many, RejectionReason.INSUFFICIENT_STOCK),
            (unknown, RejectionReason.UNKNOWN_ORDER)] == [
        (event, rejected.reason) for event, rejected in result.rejected]
    assert WarehouseStock(in_stock=2) == result.state(SKU).warehouse(W1)


def test_fold_continues_from_given_states_and_seen_event_ids() -> None:
    """A fold resumed with the previous states and event ids equals one fold over the whole log."""
    # the log: 5 in, a duplicate of it, 2 out
    first = StockReceivedManually(**envelope(event_id="in-1"), qty=5)
    log = [first, first, removed_manually(2)]
    # fold the first event, then resume with the rest
    head = fold(log[:1])
    tail = fold(log[1:], head.states, seen_event_ids=head.seen_event_ids)
    assert fold(log).states == tail.states
    assert [RejectionReason.DUPLICATE_EVENT] == [r.reason for _, r in tail.rejected]


def test_stock_as_of_an_instant_is_the_fold_of_the_events_until_then() -> None:
    """Folding the prefix of the log up to an instant gives the stock at that instant."""
    # the log: 10 in at t=1, order O1 of 4 at t=2, O1 ships at t=3
    log = [received_manually(10, at=1), new_order("O1", 4, at=2), sale(4, order_id="O1", at=3)]
    # the stock as of t=2
    as_of = fold(e for e in log if e.occurred_at <= 2).state(SKU)
    assert WarehouseStock(in_stock=10, booked=4) == as_of.warehouse(W1)


def test_fold_passes_the_retention_on_to_apply() -> None:
    """fold forgets closed orders after closed_order_retention_ms of event time."""
    # O1 booked and cancelled at t=0; a refresh at t=2 days, retention 1 day
    log = [new_order("O1", 1), cancelled_order("O1"), refresh(at=2 * DAY_MS)]
    result = fold(log, closed_order_retention_ms=DAY_MS)
    assert 0 == len(result.state(SKU).orders)


def test_the_state_of_a_sku_no_event_applied_to_is_empty() -> None:
    """FoldResult.state gives the empty stock for a SKU the fold never changed."""
    # only a rejected event for PEAR
    result = fold([removed_manually(1, sku="PEAR")])
    assert (SkuStock.empty("PEAR"), {}) == (result.state("PEAR"), result.states)


def test_event_ids_are_remembered_per_merchant_sku() -> None:
    """The same event_id under two SKUs applies to each, as the per-partition live fold does."""
    # the same id, published for two different SKUs
    apple = StockReceivedManually(**envelope(sku="APPLE", event_id="shared-1"), qty=5)
    pear = StockReceivedManually(**envelope(sku="PEAR", event_id="shared-1"), qty=7)
    result = fold([apple, pear, apple])
    assert (5, 7) == (result.state("APPLE").warehouse(W1).in_stock,
                      result.state("PEAR").warehouse(W1).in_stock)
    assert [RejectionReason.DUPLICATE_EVENT] == [r.reason for _, r in result.rejected]
