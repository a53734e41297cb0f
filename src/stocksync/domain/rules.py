"""`listed_quantity`: what a sync rule lists for one store (PRODUCT.md §1 and §3).

    raw    = sum of available over the rule's warehouses (available excludes every reserve)
    scaled = round(raw * percent / 100)        DOWN = floor, UP = ceiling, NEAREST = half up
    listed = scaled + plus_units - buffer
             -> 0 when raw < zero_below -> at most max_qty -> at least 0
             -> + the store's own promotion reserve in the rule's warehouses

"About to be sold out" replaces all of that while raw < its threshold: the chosen store lists
every remaining unit (raw, at least 0, at most max_qty) and every other store of the rule lists 0;
each store still adds its own promotion reserve, since those units are held for it alone and
nobody else can sell them.

The percentage is applied exactly: the Decimal is turned into its integer ratio, so no decimal
context ever rounds an intermediate result.
"""

from __future__ import annotations

from stocksync.domain.sku_stock import SkuStock
from stocksync.domain.sync import Rounding, SyncRule


def listed_quantity(rule: SyncRule, stock: SkuStock, store_id: str) -> int:
    """The quantity `rule` makes listings of `store_id` show, given `stock`."""
    reserve = promotion_reserve(rule, stock, store_id)
    return listed_for_sum(rule, available_sum(rule, stock), reserve, store_id)


def listed_for_sum(rule: SyncRule, raw: int, reserve: int, store_id: str) -> int:
    """`listed_quantity` from the rule's available sum `raw` and the store's `reserve`."""
    policy = rule.sold_out
    if policy is not None and raw < policy.threshold:
        remaining = _capped(max(raw, 0), rule.max_qty) if store_id == policy.store_id else 0
        return remaining + reserve
    if raw < rule.zero_below:
        return reserve
    listed = scaled(raw, rule) + rule.plus_units - rule.buffer
    return max(_capped(listed, rule.max_qty), 0) + reserve


def available_sum(rule: SyncRule, stock: SkuStock) -> int:
    """Available units summed over the rule's warehouses; negative when oversold."""
    return sum(stock.warehouse(warehouse_id).available for warehouse_id in rule.warehouses)


def promotion_reserve(rule: SyncRule, stock: SkuStock, store_id: str) -> int:
    """Units reserved for `store_id`'s promotion in the rule's warehouses."""
    reserves = stock.promotion_reserves
    if not reserves:
        return 0
    return sum(reserves.get((warehouse_id, store_id), 0) for warehouse_id in rule.warehouses)


def scaled(raw: int, rule: SyncRule) -> int:
    """round(raw * percent / 100) with the rule's rounding, computed exactly."""
    numerator, denominator = rule.percent.as_integer_ratio()
    numerator *= raw
    denominator *= 100
    if rule.rounding == Rounding.UP:
        return -(-numerator // denominator)
    if rule.rounding == Rounding.NEAREST:
        return (2 * numerator + denominator) // (2 * denominator)
    return numerator // denominator


def _capped(quantity: int, max_qty: int | None) -> int:
    return quantity if max_qty is None else min(quantity, max_qty)
