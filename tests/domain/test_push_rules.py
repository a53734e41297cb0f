"""What a sync rule lists: percentage, rounding, plus N, buffer, zero-below, max, promotion
reserves and "about to be sold out"."""

from decimal import Decimal

import pytest

from stocksync.domain.rules import available_sum, listed_quantity
from stocksync.domain.sync import Rounding, SoldOutPolicy

from .builders import W2, applied, new_order, received_manually
from .push_builders import rule, stock


def test_thirty_percent_of_152_is_45() -> None:
    """152 available at 30 % lists 45 (45.6 rounded down)."""
    # W1 holds 152 available units; the rule lists 30 % of W1 in S1
    assert 45 == listed_quantity(rule(percent=30), stock(W1=152), "S1")


def test_a_buffer_is_held_back_after_the_percentage() -> None:
    """152 available at 30 % with a buffer of 5 lists 40."""
    # 30 % of 152 is 45; 5 are held back
    assert 40 == listed_quantity(rule(percent=30, buffer=5), stock(W1=152), "S1")


def test_a_promotion_reserve_is_added_for_its_store_only() -> None:
    """With 7 units reserved for S1's promotion, S1 lists 47 and S2 still 40."""
    # 159 in stock, 7 of them reserved for S1: available (for everyone) is 159 - 7 = 152,
    # so both stores get round(152 * 30 %) - 5 = 40, and S1 also shows its 7 reserved units
    sync_rule = rule(percent=30, buffer=5, stores=("S1", "S2"))
    state = stock(W1=159, reserves={"S1": 7})
    assert 152 == available_sum(sync_rule, state)
    assert 47 == listed_quantity(sync_rule, state, "S1")
    assert 40 == listed_quantity(sync_rule, state, "S2")


@pytest.mark.parametrize(
    ("available", "rounding", "expected"),
    [
        (152, Rounding.DOWN, 45),  # 45.6
        (152, Rounding.UP, 46),
        (152, Rounding.NEAREST, 46),
        (151, Rounding.DOWN, 45),  # 45.3
        (151, Rounding.UP, 46),
        (151, Rounding.NEAREST, 45),
        (155, Rounding.DOWN, 46),  # 46.5: a half
        (155, Rounding.UP, 47),
        (155, Rounding.NEAREST, 47),
        (150, Rounding.UP, 45),  # 45 exactly: nothing to round
        (150, Rounding.NEAREST, 45),
    ],
)
def test_rounding_modes(available: int, rounding: Rounding, expected: int) -> None:
    """30 % is rounded down by default, up, or to the nearest with halves up."""
    # `available` units in W1, 30 % listed with the given rounding
    sync_rule = rule(percent=30, rounding=rounding)
    assert expected == listed_quantity(sync_rule, stock(W1=available), "S1")


def test_rounding_down_is_the_default() -> None:
    """A rule without a rounding rounds down."""
    # a rule built without saying how to round
    assert Rounding.DOWN == rule().rounding


def test_a_percentage_is_applied_exactly() -> None:
    """A percentage with more digits than a decimal context holds does not round up on its own."""
    # 3 units at 33.33...3 % (36 threes) is 0.99...9: still below 1 when rounding down
    percent = "33." + "3" * 34
    assert 0 == listed_quantity(rule(percent=percent), stock(W1=3), "S1")
    # and 1 when rounding up
    assert 1 == listed_quantity(rule(percent=percent, rounding=Rounding.UP), stock(W1=3), "S1")


def test_a_percentage_above_100_lists_virtual_stock() -> None:
    """150 % of 10 lists 15."""
    # 10 available at 150 %
    assert 15 == listed_quantity(rule(percent=150), stock(W1=10), "S1")


def test_plus_units_are_added_after_the_percentage() -> None:
    """50 % of 9 plus 3 units lists 7 (4.5 rounded down, + 3)."""
    # 9 available, 50 %, plus 3
    assert 7 == listed_quantity(rule(percent=50, plus_units=3), stock(W1=9), "S1")


def test_zero_below_lists_zero_under_the_threshold() -> None:
    """Below zero_below the rule lists 0, from the threshold on the normal quantity."""
    # zero below 5 units, and 2 units added on top
    sync_rule = rule(zero_below=5, plus_units=2)
    # 4 available: below the threshold
    assert 0 == listed_quantity(sync_rule, stock(W1=4), "S1")
    # 5 available: the normal 5 + 2
    assert 7 == listed_quantity(sync_rule, stock(W1=5), "S1")


def test_zero_below_compares_the_available_sum_before_the_percentage() -> None:
    """zero_below looks at the summed available stock, not at the scaled quantity."""
    # 10 available at 10 % is 1, but the sum (10) is not below 5
    assert 1 == listed_quantity(rule(percent=10, zero_below=5), stock(W1=10), "S1")


def test_zero_below_still_shows_the_stores_reserve() -> None:
    """Under zero_below a store still lists its own promotion reserve."""
    # 6 in stock, 3 reserved for S1: available 3, below 5
    state = stock(W1=6, reserves={"S1": 3})
    assert 3 == listed_quantity(rule(zero_below=5), state, "S1")


def test_the_max_caps_the_listed_quantity() -> None:
    """100 available with a max of 50 lists 50."""
    # 100 available, max 50
    assert 50 == listed_quantity(rule(max_qty=50), stock(W1=100), "S1")


def test_the_reserve_is_added_after_the_max() -> None:
    """The max caps the shared quantity; the store's reserve comes on top."""
    # 107 in stock, 7 reserved for S1, max 50
    state = stock(W1=107, reserves={"S1": 7})
    assert 57 == listed_quantity(rule(max_qty=50), state, "S1")


def test_the_listed_quantity_is_never_negative() -> None:
    """A buffer larger than the stock, or an oversold warehouse, lists 0."""
    # 3 available, buffer 5
    assert 0 == listed_quantity(rule(buffer=5), stock(W1=3), "S1")
    # 2 in stock, an order of 3 booked: available -1
    oversold = applied(received_manually(2), new_order("O1", 3))
    assert -1 == available_sum(rule(), oversold)
    assert 0 == listed_quantity(rule(plus_units=1), oversold, "S1")


def test_the_rule_sums_only_its_warehouses() -> None:
    """Available stock is summed over the rule's warehouses; others do not count."""
    # 10 in W1, 20 in W2, 40 in W3
    state = stock(W1=10, W2=20, W3=40)
    assert 30 == listed_quantity(rule(warehouses=("W1", W2)), state, "S1")


def test_a_reserve_outside_the_rules_warehouses_is_not_added() -> None:
    """A store's reserve held in a warehouse the rule does not sum is not listed by it."""
    # 10 in W2; 5 in W1, all reserved for S1; the rule sums W2 only
    state = stock(W1=5, W2=10, reserves={"S1": 5})
    assert 10 == listed_quantity(rule(warehouses=(W2,)), state, "S1")


def test_about_to_be_sold_out_gives_every_unit_to_the_chosen_store() -> None:
    """Below the sold-out threshold the chosen store lists every unit, the others 0."""
    # the rule lists 50 % to S1, S2 and S3; below 10 units everything goes to S2
    sync_rule = rule(percent=50, stores=("S1", "S2", "S3"), sold_out=SoldOutPolicy(10, "S2"))
    # 8 available: below the threshold
    assert [0, 8, 0] == [listed_quantity(sync_rule, stock(W1=8), s) for s in ("S1", "S2", "S3")]
    # 10 available: 50 % for everyone
    assert [5, 5, 5] == [listed_quantity(sync_rule, stock(W1=10), s) for s in ("S1", "S2", "S3")]


def test_about_to_be_sold_out_respects_the_max_and_never_goes_negative() -> None:
    """The chosen store's remaining units are capped at the max and at least 0."""
    # below 10 everything goes to S1, capped at 5
    sync_rule = rule(stores=("S1", "S2"), max_qty=5, sold_out=SoldOutPolicy(10, "S1"))
    # 8 available: capped
    assert 5 == listed_quantity(sync_rule, stock(W1=8), "S1")
    # oversold by 1: 0
    oversold = applied(received_manually(2), new_order("O1", 3))
    assert 0 == listed_quantity(sync_rule, oversold, "S1")


def test_about_to_be_sold_out_keeps_each_stores_reserve() -> None:
    """Under the sold-out threshold every store still lists its own promotion reserve."""
    # 9 in stock, 2 reserved for S1 and 3 for S2: 4 available, all of them to S1
    sync_rule = rule(stores=("S1", "S2", "S3"), sold_out=SoldOutPolicy(10, "S1"))
    state = stock(W1=9, reserves={"S1": 2, "S2": 3})
    expected = {"S1": 4 + 2, "S2": 0 + 3, "S3": 0}
    assert expected == {s: listed_quantity(sync_rule, state, s) for s in expected}


def test_about_to_be_sold_out_overrides_zero_below() -> None:
    """Below both thresholds the sold-out policy decides: the chosen store gets every unit."""
    # zero below 5, sold-out below 10 to S1; 3 available
    sync_rule = rule(stores=("S1", "S2"), zero_below=5, sold_out=SoldOutPolicy(10, "S1"))
    assert 3 == listed_quantity(sync_rule, stock(W1=3), "S1")


def test_a_percentage_given_as_a_decimal_string_works_like_the_number() -> None:
    """Decimal('12.5') % of 80 lists 10."""
    # 80 available at 12.5 %
    assert 10 == listed_quantity(rule(percent="12.5"), stock(W1=80), "S1")
    assert Decimal("12.5") == rule(percent="12.5").percent
