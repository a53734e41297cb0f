"""Sync records: one push decision per enabled rule and listing a trigger concerns (PRODUCT.md §3).

    records = records_for_trigger(event, cause, log_time, before, after, config, listings)

Call it for an event that applied (`before` → `after`); a rejected event has no records. Which
rules and listings a trigger concerns:
- a stock event: every enabled rule that counts one of the warehouses it moved. These are the
  event's warehouse and every warehouse whose available stock changed (a cancel, void or shipment
  releases the booking where the order is, which may be elsewhere); for Change Warehouse also the
  order's old warehouse (from `before`) and its new one. Then every mapped listing of the rule's
  stores;
- Add Mapping: only the newly mapped listing, for every enabled rule pushing to its store,
  whatever the warehouse (a mapping belongs to no warehouse); Remove Mapping: none;
- Refresh Inventory: every mapped listing of every enabled rule; Push Now: the same, only for its
  `store_ids` (empty = every store);
- purchase order placed, promotion reserve set: none.

Field by field:
- `warehouse_id`: the first moved warehouse the rule counts, in the order: the event's warehouse
  (Change Warehouse: the new, then the old one), then the others sorted. Refreshes, pushes and
  mappings name the event's warehouse;
- `movement`: how the trigger changed the available stock the rule sums (after - before). For an
  event moving one warehouse that is the change in that warehouse; a booking moved between two
  warehouses the rule both counts is 0;
- `before_qty`: the listing's previous after qty (see `SkuListings`); for its first record the
  available stock the rule summed before the trigger;
- `after_qty`: `listed_quantity(rule, after, store_id)`.
Records come sorted by rule name, then store id, then store SKU. Their ids derive from the trigger
and the listing only, so that a replay yields the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Sequence

from stocksync.domain.events import (
    InventoryRefreshRequested,
    MappingAction,
    MappingChanged,
    PromotionReserveSet,
    PurchaseOrderPlaced,
    PushNowRequested,
    Reason,
    StockEvent,
    WarehouseChanged,
)
from stocksync.domain.listings import SkuListings
from stocksync.domain.rules import available_sum, listed_for_sum, promotion_reserve
from stocksync.domain.sku_stock import Listing, SkuStock
from stocksync.domain.sync import Cause, SyncRecord, SyncRule
from stocksync.domain.sync_config import SyncConfig

RECORD_ID_HEX_CHARS = 20

Scope = Sequence[tuple[SyncRule, str]]  # (rule, the warehouse its records name)
_IdMaker = Callable[[SyncRule, Listing], str]


def record_id(
    merchant_sku: str, event_id: str, rule_name: str, store_id: str, store_sku: str
) -> str:
    """The id of the record a trigger event makes for one rule and listing: 20 hex chars."""
    return _digest((merchant_sku, event_id, rule_name, store_id, store_sku))


def refresh_record_id(
    merchant_sku: str, cause_event_id: str, rule_name: str, store_id: str, store_sku: str
) -> str:
    """The id of a refresh record (`records_for_refresh`); never equal to a `record_id`."""
    return _digest(("refresh", merchant_sku, cause_event_id, rule_name, store_id, store_sku))


def records_for_trigger(
    event: StockEvent,
    cause: Cause,
    log_time: int,
    before: SkuStock,
    after: SkuStock,
    config: SyncConfig,
    listings: SkuListings,
) -> list[SyncRecord]:
    """The PENDING records `event`, which took the stock from `before` to `after`, calls for."""
    if isinstance(event, PurchaseOrderPlaced | PromotionReserveSet):
        return []
    mapped: Sequence[Listing] = sorted(after.mappings)
    if isinstance(event, MappingChanged):
        listing = (event.store_id, event.store_sku)
        if event.action != MappingAction.ADD or listing not in after.mappings:
            return []
        mapped = [listing]
        scope: Scope = [(rule, event.warehouse_id) for rule in config.enabled_rules]
    elif isinstance(event, InventoryRefreshRequested | PushNowRequested):
        if isinstance(event, PushNowRequested) and event.store_ids:
            mapped = _of_stores(mapped, event.store_ids)
        scope = [(rule, event.warehouse_id) for rule in config.enabled_rules]
    else:
        scope = _rules_counting(config, _moved_warehouses(event, before, after))

    # The trigger's part of every id is encoded once (`record_id` is `_digest` of all five).
    trigger = _encoded((event.merchant_sku, event.event_id))

    def make_id(rule: SyncRule, listing: Listing) -> str:
        return _hexdigest(trigger + _encoded((rule.name, *listing)))

    at = event.occurred_at
    return _records(
        make_id, at, log_time, event.reason, cause, before, after, config, listings, scope, mapped
    )


def records_for_refresh(
    merchant_sku: str,
    stock: SkuStock,
    cause: Cause,
    log_time: int,
    reason: Reason,
    config: SyncConfig,
    listings: SkuListings,
    store_ids: Collection[str] | None = None,
    *,
    sync_time: int | None = None,
    warehouse_id: str = "",
) -> list[SyncRecord]:
    """Records pushing the current quantity to every mapped listing of every enabled rule (only
    of `store_ids` when given; an empty collection selects none), for a refresh not tied to one
    SKU's event: the periodic refresh, a rule change re-pushing the stores it affects.

    `cause` names what triggered the refresh (its event_id must differ between refreshes: ids
    derive from it, the SKU, the rule and the listing). `sync_time` defaults to `log_time`;
    `warehouse_id` is "" as no warehouse moved. Movement is 0.
    """
    if stock.merchant_sku != merchant_sku or listings.merchant_sku != merchant_sku:
        raise ValueError(
            f"stock of {stock.merchant_sku!r} and listings of {listings.merchant_sku!r} "
            f"refreshed as {merchant_sku!r}"
        )
    mapped: Sequence[Listing] = sorted(stock.mappings)
    if store_ids is not None:
        mapped = _of_stores(mapped, store_ids)
    scope = [(rule, warehouse_id) for rule in config.enabled_rules]

    def make_id(rule: SyncRule, listing: Listing) -> str:
        return refresh_record_id(merchant_sku, cause.event_id, rule.name, *listing)

    at = log_time if sync_time is None else sync_time
    return _records(
        make_id, at, log_time, reason, cause, stock, stock, config, listings, scope, mapped
    )


def _records(
    make_id: _IdMaker,
    sync_time: int,
    log_time: int,
    reason: Reason,
    cause: Cause,
    before: SkuStock,
    after: SkuStock,
    config: SyncConfig,
    listings: SkuListings,
    scope: Scope,
    mapped: Sequence[Listing],
) -> list[SyncRecord]:
    records: list[SyncRecord] = []
    latest: dict[Listing, int] = {}  # after qty of records made here (a store in two rules)
    for rule, warehouse_id in scope:
        in_rule = [listing for listing in mapped if listing[0] in rule.store_ids]
        if not in_rule:
            continue
        before_sum = available_sum(rule, before)
        after_sum = before_sum if before is after else available_sum(rule, after)
        quantities: dict[str, int] = {}
        for listing in in_rule:
            store_id, store_sku = listing
            after_qty = quantities.get(store_id)
            if after_qty is None:
                reserve = promotion_reserve(rule, after, store_id)
                after_qty = listed_for_sum(rule, after_sum, reserve, store_id)
                quantities[store_id] = after_qty
            before_qty = latest.get(listing, listings.get(listing).last_after_qty)
            store = config.store(store_id)
            records.append(
                SyncRecord(
                    record_id=make_id(rule, listing),
                    sync_time=sync_time,
                    log_time=log_time,
                    marketplace=store.marketplace,
                    store_id=store_id,
                    store_nickname=store.nickname,
                    store_sku=store_sku,
                    merchant_sku=after.merchant_sku,
                    warehouse_id=warehouse_id,
                    before_qty=before_sum if before_qty is None else before_qty,
                    movement=after_sum - before_sum,
                    after_qty=after_qty,
                    rule_name=rule.name,
                    reason=reason,
                    cause=cause,
                )
            )
            latest[listing] = after_qty
    return records


def _moved_warehouses(event: StockEvent, before: SkuStock, after: SkuStock) -> tuple[str, ...]:
    """The warehouses a stock event concerns, the one its records name first."""
    named: tuple[str, ...] = (event.warehouse_id,)
    if isinstance(event, WarehouseChanged):
        order = before.orders.get(event.order_id)
        from_warehouse = event.warehouse_id if order is None else order.warehouse_id
        named = (event.to_warehouse, from_warehouse, event.warehouse_id)
    if before.warehouses is after.warehouses:
        return tuple(dict.fromkeys(named))
    old, new = before.warehouses, after.warehouses
    changed = sorted(
        warehouse_id
        for warehouse_id in old.keys() | new.keys()
        # an event replaces only the warehouses it changes: the same object is the same stock
        if old.get(warehouse_id) is not new.get(warehouse_id)
        and before.warehouse(warehouse_id).available != after.warehouse(warehouse_id).available
    )
    return tuple(dict.fromkeys((*named, *changed)))


def _rules_counting(config: SyncConfig, warehouses: tuple[str, ...]) -> Scope:
    scope = []
    for rule in config.enabled_rules:
        named = next((w for w in warehouses if w in rule.warehouses), None)
        if named is not None:
            scope.append((rule, named))
    return scope


def _of_stores(mapped: Iterable[Listing], store_ids: Collection[str]) -> list[Listing]:
    wanted = frozenset(store_ids)
    return [listing for listing in mapped if listing[0] in wanted]


def _digest(parts: tuple[str, ...]) -> str:
    """A digest of `parts`, each length-prefixed so that no two tuples share an encoding."""
    return _hexdigest(_encoded(parts))


def _encoded(parts: tuple[str, ...]) -> bytes:
    return "".join([f"{len(part)}:{part}" for part in parts]).encode()


def _hexdigest(encoded: bytes) -> str:
    return hashlib.blake2b(encoded, digest_size=RECORD_ID_HEX_CHARS // 2).hexdigest()
