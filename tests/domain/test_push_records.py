"""Sync records for a trigger: which rules and listings, and every field of a record."""

from __future__ import annotations

import pytest

from stocksync.domain.events import MappingAction, Reason, StockEvent
from stocksync.domain.listings import ListingState, SkuListings
from stocksync.domain.stock import SkuStock
from stocksync.domain.sync import Cause, SyncRecord, SyncStatus
from stocksync.domain.sync_config import SyncConfig
from stocksync.domain.sync_records import (
    record_id,
    records_for_refresh,
    records_for_trigger,
    refresh_record_id,
)

from .builders import (
    SKU,
    W1,
    W2,
    applied,
    cancelled_order,
    mapping,
    moved_to_pack,
    new_order,
    po_placed,
    push_now,
    received_manually,
    refresh,
    reserve_set,
    sale,
    warehouse_changed,
)
from .push_builders import TOPIC, cause, config, rule, stock

NO_LISTINGS = SkuListings.empty(SKU)


def records(
    event: StockEvent,
    before: SkuStock,
    sync_config: SyncConfig,
    listings: SkuListings = NO_LISTINGS,
    log_time: int = 0,
) -> list[SyncRecord]:
    """The records of `event` (which must apply) on `before`."""
    after = applied(event, state=before)
    return records_for_trigger(
        event, cause(event), log_time, before, after, sync_config, listings
    )


def remembered(listings: SkuListings, made: list[SyncRecord]) -> SkuListings:
    """`listings` after `made`, each listing remembering its last after qty (as dedup does)."""
    for record in made:
        key = (record.store_id, record.store_sku)
        listings = listings.with_listing(key, ListingState(record.after_qty))
    return listings


def listings_of(made: list[SyncRecord]) -> list[tuple[str, str, str]]:
    """(rule, store, store SKU) of each record, in order."""
    return [(r.rule_name, r.store_id, r.store_sku) for r in made]


def test_a_record_carries_every_field() -> None:
    """An order for 4 of 50 apples makes one PENDING record 50 -> 46 with movement -4."""
    # 50 apples in W1, mapped to S1's listing apple-s1; R1 lists W1 in S1
    before = stock(W1=50, mapped=(("S1", "apple-s1"),))
    # an order for 4 happens at 1234 and reaches the log at 1300
    event = new_order("O1", 4, at=1234)
    expected = SyncRecord(
        record_id=record_id(SKU, event.event_id, "R1", "S1", "apple-s1"),
        sync_time=1234,
        log_time=1300,
        marketplace="shopee",
        store_id="S1",
        store_nickname="S1 shop",
        store_sku="apple-s1",
        merchant_sku=SKU,
        warehouse_id=W1,
        before_qty=50,
        movement=-4,
        after_qty=46,
        rule_name="R1",
        reason=Reason.SYNC_ORDER,
        cause=Cause(event.event_id, TOPIC, 0, 0),
        status=SyncStatus.PENDING,
    )
    assert [expected] == records(event, before, config(rule()), log_time=1300)


def test_a_rule_over_ten_stores_makes_ten_records() -> None:
    """One trigger of a rule syncing to 10 stores makes 10 records with 10 distinct ids."""
    # R1 pushes to S0..S9, each with one listing of APPLE
    stores = tuple(f"S{i}" for i in range(10))
    before = stock(W1=20, mapped=tuple((s, f"apple-{s}") for s in stores))
    # 5 more apples arrive
    made = records(received_manually(5), before, config(rule(stores=stores)))
    assert [("R1", s, f"apple-{s}") for s in stores] == listings_of(made)
    assert 10 == len({r.record_id for r in made})
    assert {25} == {r.after_qty for r in made}


def test_a_promotion_reserve_shows_in_its_stores_record_only() -> None:
    """With 7 reserved for S1, a trigger records 47 for S1 and 40 for S2 (30 %, buffer 5)."""
    # 159 in W1 of which 7 reserved for S1: 152 available; listings in S1 and S2
    before = stock(W1=159, mapped=(("S1", "a1"), ("S2", "a2")), reserves={"S1": 7})
    sync_config = config(rule(percent=30, buffer=5, stores=("S1", "S2")))
    # a refresh re-pushes both
    assert [47, 40] == [r.after_qty for r in records(refresh(), before, sync_config)]


def test_before_qty_chains_the_listings_previous_after_qty() -> None:
    """Across three triggers the first before qty is the available stock, every later one the
    previous record's after qty."""
    # 10 in W1, one listing; R1 lists 50 % in S1
    state = stock(W1=10, mapped=(("S1", "a1"),))
    sync_config = config(rule(percent=50))
    listings = NO_LISTINGS
    chain = []
    # +4, -2, +6: available 14, 12, 18; listed 7, 6, 9
    for event in (received_manually(4), sale(2), received_manually(6)):
        made = records(event, state, sync_config, listings)
        chain += [(r.before_qty, r.movement, r.after_qty) for r in made]
        listings = remembered(listings, made)
        state = applied(event, state=state)
    assert [(10, 4, 7), (7, -2, 6), (6, 6, 9)] == chain


def test_record_ids_are_stable() -> None:
    """The same trigger and listing always derive the same 20 hex char id."""
    # the same inputs twice
    first = record_id(SKU, "e1", "R1", "S1", "a1")
    assert first == record_id(SKU, "e1", "R1", "S1", "a1")
    assert 20 == len(first)
    assert set(first) <= set("0123456789abcdef")


def test_record_ids_differ_across_skus_events_rules_and_listings() -> None:
    """Changing any of SKU, event, rule, store or store SKU changes the id; so does moving a
    character from one part to the next."""
    # one id per variation
    ids = [
        record_id(SKU, "e1", "R1", "S1", "a1"),
        record_id("PEAR", "e1", "R1", "S1", "a1"),
        record_id(SKU, "e2", "R1", "S1", "a1"),
        record_id(SKU, "e1", "R2", "S1", "a1"),
        record_id(SKU, "e1", "R1", "S2", "a1"),
        record_id(SKU, "e1", "R1", "S1", "a2"),
        record_id(SKU, "e1", "R1", "S1a", ""),
        refresh_record_id(SKU, "e1", "R1", "S1", "a1"),
    ]
    assert len(ids) == len(set(ids))


def test_a_replayed_trigger_makes_the_same_records() -> None:
    """Making the records of one trigger twice gives equal records."""
    # 10 in W1, listings in S1 and S2
    before = stock(W1=10, mapped=(("S1", "a1"), ("S2", "a2")))
    sync_config = config(rule(stores=("S1", "S2")))
    event = sale(3)
    assert records(event, before, sync_config) == records(event, before, sync_config)


def test_rules_not_counting_the_warehouse_make_no_records() -> None:
    """A trigger in W2 concerns only enabled rules summing W2."""
    # R1 sums W1 (S1), R2 sums W2 (S2), R3 sums W2 but is disabled (S3)
    sync_config = config(rule("R1", stores=("S1",)), rule("R2", warehouses=(W2,), stores=("S2",)),
                         rule("R3", warehouses=(W2,), stores=("S3",), enabled=False))
    before = stock(W1=5, W2=5, mapped=(("S1", "a1"), ("S2", "a2"), ("S3", "a3")))
    # 1 in to W2
    made = records(received_manually(1, wh=W2), before, sync_config)
    assert [("R2", "S2", "a2")] == listings_of(made)


def test_only_listings_of_the_rules_stores_get_records() -> None:
    """Mapped listings of stores the rule does not push to get no record."""
    # R1 pushes to S1; APPLE is also listed in S2
    before = stock(W1=5, mapped=(("S1", "a1"), ("S2", "a2")))
    assert [("R1", "S1", "a1")] == listings_of(records(sale(1), before, config(rule())))


def test_records_come_sorted_by_rule_then_listing() -> None:
    """Records of one trigger are ordered by rule name, store id, store SKU."""
    # R2 pushes to S1 (two listings), R1 to S2
    sync_config = config(rule("R2", stores=("S1",)), rule("R1", stores=("S2",)))
    before = stock(W1=5, mapped=(("S1", "b"), ("S2", "z"), ("S1", "a")))
    expected = [("R1", "S2", "z"), ("R2", "S1", "a"), ("R2", "S1", "b")]
    assert expected == listings_of(records(sale(1), before, sync_config))


def test_a_store_missing_from_the_config_still_gets_records() -> None:
    """A listing of an unconfigured store is recorded with marketplace 'unknown' and the store id
    as nickname."""
    # R1 pushes to S9, which is not configured
    before = stock(W1=5, mapped=(("S9", "a9"),))
    [made] = records(sale(1), before, config(rule(stores=("S9",)), stores=()))
    assert ("unknown", "S9") == (made.marketplace, made.store_nickname)


def test_a_refresh_pushes_every_listing_whatever_the_warehouse() -> None:
    """Refresh Inventory makes a record for every listing of every enabled rule, movement 0."""
    # R1 sums W1 (S1), R2 sums W2 (S2); the refresh names W1
    sync_config = config(rule("R1", stores=("S1",)), rule("R2", warehouses=(W2,), stores=("S2",)))
    before = stock(W1=5, W2=7, mapped=(("S1", "a1"), ("S2", "a2"), ("S2", "b2")))
    made = records(refresh(), before, sync_config)
    expected = [("R1", "S1", "a1", 5, 0, 5), ("R2", "S2", "a2", 7, 0, 7),
                ("R2", "S2", "b2", 7, 0, 7)]
    assert expected == [(*key, r.before_qty, r.movement, r.after_qty)
                        for key, r in zip(listings_of(made), made, strict=True)]
    assert {Reason.REFRESH_INVENTORY} == {r.reason for r in made}


def test_push_now_pushes_only_its_stores() -> None:
    """Push Now makes records for the listings of its store_ids only."""
    # R1 pushes to S1, S2 and S3, each listed
    sync_config = config(rule(stores=("S1", "S2", "S3")))
    before = stock(W1=5, mapped=(("S1", "a1"), ("S2", "a2"), ("S3", "a3")))
    made = records(push_now("S1", "S3", wh=W2), before, sync_config)
    assert [("R1", "S1", "a1"), ("R1", "S3", "a3")] == listings_of(made)


def test_push_now_without_stores_pushes_every_store() -> None:
    """Push Now with empty store_ids makes records for every listing in scope."""
    # R1 pushes to S1 and S2, each listed
    sync_config = config(rule(stores=("S1", "S2")))
    before = stock(W1=5, mapped=(("S1", "a1"), ("S2", "a2")))
    assert 2 == len(records(push_now(), before, sync_config))


def test_adding_a_mapping_pushes_only_the_new_listing() -> None:
    """Add Mapping makes a record for the newly mapped listing only, whatever its warehouse."""
    # a1 in S1 is mapped; R1 (W1) pushes to S1 and S2
    sync_config = config(rule(stores=("S1", "S2")))
    before = stock(W1=5, mapped=(("S1", "a1"),))
    # a2 of S2 is mapped by an event naming W2
    made = records(mapping("S2", "a2", wh=W2), before, sync_config)
    assert [("R1", "S2", "a2", W2, 5, 0, 5)] == [
        (*key, r.warehouse_id, r.before_qty, r.movement, r.after_qty)
        for key, r in zip(listings_of(made), made, strict=True)
    ]


def test_adding_an_existing_mapping_pushes_it_again() -> None:
    """Adding a mapping that exists makes a record for that listing."""
    # a1 in S1 is mapped already
    before = stock(W1=5, mapped=(("S1", "a1"),))
    made = records(mapping("S1", "a1"), before, config(rule()))
    assert [("R1", "S1", "a1")] == listings_of(made)


def test_removing_a_mapping_makes_no_record() -> None:
    """Remove Mapping makes no record (the listing is no longer mapped)."""
    # a1 and a2 of S1 are mapped; a2 is removed
    before = stock(W1=5, mapped=(("S1", "a1"), ("S1", "a2")))
    assert [] == records(mapping("S1", "a2", MappingAction.REMOVE), before, config(rule()))


@pytest.mark.parametrize(
    "event", [po_placed("PO1", 5), reserve_set("S1", 2)], ids=["po_placed", "reserve_set"]
)
def test_the_extra_events_make_no_records(event: StockEvent) -> None:
    """A purchase order placed or a promotion reserve set makes no record on its own."""
    # 5 in W1, listed in S1
    before = stock(W1=5, mapped=(("S1", "a1"),))
    assert [] == records(event, before, config(rule()))


def test_a_trigger_that_changes_nothing_is_recorded_with_movement_zero() -> None:
    """Packing an order that is booked already is still a trigger: a record, movement 0."""
    # 5 in W1, order O1 of 2 booked
    before = applied(new_order("O1", 2), state=stock(W1=5, mapped=(("S1", "a1"),)))
    [made] = records(moved_to_pack("O1", 2), before, config(rule()))
    assert (3, 0, 3) == (made.before_qty, made.movement, made.after_qty)


def test_a_warehouse_change_concerns_the_old_and_the_new_warehouse() -> None:
    """Change Warehouse records for rules summing the order's old warehouse, its new one, or
    both; the old one is the order's, whatever warehouse the event names."""
    # RA sums W1 (S1), RB sums W2 (S2), RC sums both (S3); 10 in each; O1 of 3 booked in W1
    sync_config = config(rule("RA", stores=("S1",)), rule("RB", warehouses=(W2,), stores=("S2",)),
                         rule("RC", warehouses=(W1, W2), stores=("S3",)))
    before = stock(W1=10, W2=10, mapped=(("S1", "a1"), ("S2", "a2"), ("S3", "a3")))
    before = applied(new_order("O1", 3), state=before)
    # the booking moves to W2; the event names W3
    made = records(warehouse_changed("O1", W2, wh="W3"), before, sync_config)
    expected = [("RA", W1, 7, 3, 10), ("RB", W2, 10, -3, 7), ("RC", W2, 17, 0, 17)]
    assert expected == [(r.rule_name, r.warehouse_id, r.before_qty, r.movement, r.after_qty)
                        for r in made]


def test_a_cancel_releases_where_the_order_is_booked() -> None:
    """A cancel naming W1 of an order booked in W2 records for the rule summing W2 too."""
    # RA sums W1 (S1), RB sums W2 (S2); 10 in each; O1 of 3 booked in W1, then moved to W2
    sync_config = config(rule("RA", stores=("S1",)), rule("RB", warehouses=(W2,), stores=("S2",)))
    before = stock(W1=10, W2=10, mapped=(("S1", "a1"), ("S2", "a2")))
    before = applied(new_order("O1", 3), warehouse_changed("O1", W2), state=before)
    # the cancel names W1
    made = records(cancelled_order("O1", wh=W1), before, sync_config)
    expected = [("RA", W1, 0, 10), ("RB", W2, 3, 10)]
    assert expected == [(r.rule_name, r.warehouse_id, r.movement, r.after_qty) for r in made]


def test_a_store_in_two_rules_chains_within_one_trigger() -> None:
    """With two enabled rules on one store (a config problem), the listing gets a record per rule
    and the second one's before qty is the first one's after qty."""
    # R1 lists 100 %, R2 50 % of W1 in S1
    sync_config = config(rule("R1"), rule("R2", percent=50))
    before = stock(W1=10, mapped=(("S1", "a1"),))
    made = records(received_manually(2), before, sync_config)
    assert [("R1", 10, 12), ("R2", 12, 6)] == [(r.rule_name, r.before_qty, r.after_qty)
                                                for r in made]


def test_a_refresh_not_tied_to_an_event_pushes_the_current_quantity() -> None:
    """records_for_refresh records every listing in scope: sync time = log time, no warehouse,
    movement 0, before = the previous after qty or the available stock."""
    # 8 in W1, listings a1 (last pushed 5) and a2 (never) in S1
    current = stock(W1=8, mapped=(("S1", "a1"), ("S1", "a2")))
    listings = NO_LISTINGS.with_listing(("S1", "a1"), ListingState(5))
    tick = Cause("tick-7", "refresh-ticks", 0, 7)
    made = records_for_refresh(SKU, current, tick, 9000, Reason.REFRESH_INVENTORY,
                               config(rule()), listings)
    expected = [("a1", 9000, "", 5, 0, 8), ("a2", 9000, "", 8, 0, 8)]
    assert expected == [(r.store_sku, r.sync_time, r.warehouse_id, r.before_qty, r.movement,
                         r.after_qty) for r in made]
    assert [refresh_record_id(SKU, "tick-7", "R1", "S1", s) for s in ("a1", "a2")] == [
        r.record_id for r in made
    ]


def test_refresh_ids_differ_per_sku_and_listing() -> None:
    """One refresh cause gives every SKU and listing its own record id."""
    # APPLE and PEAR, each listed in S1 and S2
    sync_config = config(rule(stores=("S1", "S2")))
    tick = Cause("tick-1", "refresh-ticks", 0, 1)
    ids = []
    for sku in (SKU, "PEAR"):
        mapped = applied(mapping("S1", "x", sku=sku), mapping("S2", "x", sku=sku),
                         state=SkuStock.empty(sku))
        made = records_for_refresh(sku, mapped, tick, 0, Reason.REFRESH_INVENTORY, sync_config,
                                   SkuListings.empty(sku))
        ids += [r.record_id for r in made]
    assert 4 == len(set(ids))


def test_a_refresh_can_be_limited_to_some_stores() -> None:
    """records_for_refresh with store_ids records only those stores; an empty set none."""
    # R1 pushes to S1 and S2, each listed
    current = stock(W1=8, mapped=(("S1", "a1"), ("S2", "a2")))
    tick = Cause("rule-change-3", "sync-config", 0, 3)

    def refreshed(store_ids: set[str] | None) -> list[str]:
        made = records_for_refresh(SKU, current, tick, 0, Reason.PUSH_NOW,
                                   config(rule(stores=("S1", "S2"))), NO_LISTINGS, store_ids)
        return [r.store_id for r in made]

    assert ["S1", "S2"] == refreshed(None)
    assert ["S2"] == refreshed({"S2"})
    assert [] == refreshed(set())


def test_a_refresh_of_another_skus_stock_is_a_programming_error() -> None:
    """records_for_refresh raises ValueError when the stock or listings belong to another SKU."""
    # PEAR's stock refreshed as APPLE
    with pytest.raises(ValueError):
        records_for_refresh(SKU, SkuStock.empty("PEAR"), Cause("t", "t", 0, 0),
                            0, Reason.REFRESH_INVENTORY, config(rule()), NO_LISTINGS)


def test_records_are_pending_and_name_their_cause() -> None:
    """Every record is PENDING, not superseded, and carries the cause it was given."""
    # a sale of 1 at offset 41 of partition 3
    before = stock(W1=5, mapped=(("S1", "a1"),))
    event = sale(1)
    after = applied(event, state=before)
    position = Cause(event.event_id, TOPIC, 3, 41)
    [made] = records_for_trigger(event, position, 0, before, after, config(rule()), NO_LISTINGS)
    assert (SyncStatus.PENDING, None, position) == (made.status, made.superseded_by, made.cause)
