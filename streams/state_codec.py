"""The stock table's value: a SKU's state and the source offset it has applied, as Avro
(schemas/state/StoredSkuStock.avsc), so that the changelog topic is readable by any Avro tool."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from importlib import resources
from collections.abc import Mapping
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from stocksync.domain.listings import ListingState, OpenWindow, SkuListings
from stocksync.domain.stock import Order, OrderBook, OrderState, SkuStock, WarehouseStock
from stocksync.schemas.push_codec import (
    sync_record_body_writer,
    sync_record_from_avro,
    sync_record_to_avro,
)
from stocksync.schemas.binary_encoder import write_long as _write_long


def _schema_file(path: str) -> dict[str, Any]:
    return json.loads(resources.files("stocksync.schemas").joinpath(path).read_text())


_NAMED: dict[str, Any] = {}
parse_schema(_schema_file("push/SyncRecord.avsc"), named_schemas=_NAMED)
STORED_SCHEMA = parse_schema(_schema_file("state/StoredSkuStock.avsc"), named_schemas=_NAMED)
_ORDER_ENTRY = parse_schema(_schema_file("state/StoredOrderEntry.avsc"), named_schemas=_NAMED)


@dataclass(frozen=True, slots=True)
class StoredStock:
    applied_offset: int  # the highest stock-events offset folded into `stock`
    stock: SkuStock
    listings: SkuListings | None = None  # None: as empty listings

    def listings_or_empty(self) -> SkuListings:
        return self.listings or SkuListings.empty(self.stock.merchant_sku)


@dataclass(frozen=True, slots=True)
class OrderEntry:
    """One order of a SKU as the orders table stores it (schemas/state/StoredOrderEntry.avsc)."""

    batch_offset: int
    order_id: str
    order: Order | None
    previous: Order | None

    def as_of(self, applied_offset: int) -> Order | None:
        """The order in the SKU state that has applied `applied_offset`."""
        return self.order if self.batch_offset <= applied_offset else self.previous


def encode_order_entry(entry: OrderEntry) -> bytes:
    buffer = io.BytesIO()
    schemaless_writer(buffer, _ORDER_ENTRY, {
        "batch_offset": entry.batch_offset,
        "order": _order_to_avro(entry.order_id, entry.order),
        "previous": _order_to_avro(entry.order_id, entry.previous),
    })
    return buffer.getvalue()


def decode_order_entry(data: bytes) -> OrderEntry:
    record: dict[str, Any] = schemaless_reader(io.BytesIO(data), _ORDER_ENTRY, None)  # type: ignore[assignment]
    either = record["order"] or record["previous"]
    return OrderEntry(record["batch_offset"], either["order_id"] if either else "",
                      _order_from_avro(record["order"]), _order_from_avro(record["previous"]))


def _order_to_avro(order_id: str, order: Order | None) -> dict[str, Any] | None:
    if order is None:
        return None
    return {"order_id": order_id, "warehouse_id": order.warehouse_id, "qty": order.qty,
            "state": order.state.value, "closed_at": order.closed_at}


def _order_from_avro(record: dict[str, Any] | None) -> Order | None:
    if record is None:
        return None
    return Order(warehouse_id=record["warehouse_id"], qty=record["qty"],
                 state=OrderState(record["state"]), closed_at=record["closed_at"])


def encode_stored(stored: StoredStock, *, with_orders: bool = True) -> bytes:
    """Collections are written sorted: equal states give equal bytes, whatever their history.
    Without orders (the fold keeps them in a table of their own), the orders list is empty.
    Written field by field (`_encode_stored_straight`): the fold encodes every SKU it touches
    in each batch, and building the dict for fastavro cost more than the fold of its events."""
    return _encode_stored_straight(stored, with_orders)


def stored_to_avro(stored: StoredStock, *, with_orders: bool = True) -> dict[str, Any]:
    """The value as the schema's record (a dict), for fastavro: the reference `encode_stored`
    is held to (tests/streams/test_state_codec.py)."""
    state = stored.stock
    record = {
        "applied_offset": stored.applied_offset,
        "merchant_sku": state.merchant_sku,
        "warehouses": [
            {"warehouse_id": wid, "in_stock": w.in_stock, "booked": w.booked,
             "reserved": w.reserved, "incoming": w.incoming}
            for wid, w in sorted(state.warehouses.items())
        ],
        "orders": [_order_to_avro(oid, o) for oid, o in sorted(state.orders.items())]
        if with_orders else [],
        "purchase_orders": [
            {"warehouse_id": wid, "po_id": po_id, "remaining": remaining}
            for (wid, po_id), remaining in sorted(state.purchase_orders.items())
        ],
        "promotion_reserves": [
            {"warehouse_id": wid, "store_id": store_id, "qty": qty}
            for (wid, store_id), qty in sorted(state.promotion_reserves.items())
        ],
        "mappings": [{"store_id": store_id, "store_sku": store_sku}
                     for store_id, store_sku in sorted(state.mappings)],
        "listings": [_listing_to_avro(listing, listing_state)
                     for listing, listing_state in sorted(stored.listings_or_empty()
                                                          .listings.items())],
    }
    return record


# -- the stock table's value, written straight (the fold writes every SKU it touches, each batch)

_ORDER_STATE_BYTE = {state: index << 1 for index, state in enumerate(
    OrderState(symbol) for symbol in ("BOOKED", "CANCELLED", "SHIPPED", "VOID"))}


def _write_string(out: bytearray, value: str) -> None:
    data = value.encode()
    _write_long(out, len(data))
    out += data


def _write_count(out: bytearray, count: int) -> None:
    """An array's block: its count (the items follow), nothing for an empty array."""
    if count:
        _write_long(out, count)


def _write_pair_keyed(out: bytearray, items: Mapping[tuple[str, str], int]) -> None:
    """An array of records of two strings and a long, from a map keyed by the two, sorted."""
    _write_count(out, len(items))
    for (first, second), number in sorted(items.items()):
        _write_string(out, first)
        _write_string(out, second)
        _write_long(out, number)
    out.append(0)


def _encode_stored_straight(stored: StoredStock, with_orders: bool) -> bytes:
    """`encode_stored`'s bytes, written field by field (schemas/state/StoredSkuStock.avsc)."""
    state = stored.stock
    out = bytearray()
    _write_long(out, stored.applied_offset)
    _write_string(out, state.merchant_sku)
    warehouses = state.warehouses
    _write_count(out, len(warehouses))
    for warehouse_id in sorted(warehouses):
        w = warehouses[warehouse_id]
        _write_string(out, warehouse_id)
        _write_long(out, w.in_stock)
        _write_long(out, w.booked)
        _write_long(out, w.reserved)
        _write_long(out, w.incoming)
    out.append(0)
    orders = state.orders if with_orders else {}
    _write_count(out, len(orders))
    for order_id in sorted(orders):
        order = orders[order_id]
        _write_string(out, order_id)
        _write_string(out, order.warehouse_id)
        _write_long(out, order.qty)
        out.append(_ORDER_STATE_BYTE[order.state])
        if order.closed_at is None:
            out.append(0)
        else:
            out.append(2)
            _write_long(out, order.closed_at)
    out.append(0)
    _write_pair_keyed(out, state.purchase_orders)  # (warehouse, po id) -> remaining
    _write_pair_keyed(out, state.promotion_reserves)  # (warehouse, store id) -> qty
    mappings = state.mappings
    _write_count(out, len(mappings))
    for store_id, store_sku in sorted(mappings):
        _write_string(out, store_id)
        _write_string(out, store_sku)
    out.append(0)
    listings = stored.listings_or_empty().listings
    _write_count(out, len(listings))
    write_record = sync_record_body_writer()
    for (store_id, store_sku), listing in sorted(listings.items()):
        _write_string(out, store_id)
        _write_string(out, store_sku)
        if listing.last_after_qty is None:
            out.append(0)
        else:
            out.append(2)
            _write_long(out, listing.last_after_qty)
        window = listing.window
        if window is None:
            out.append(0)
        else:
            out.append(2)
            _write_long(out, window.start)
            _write_long(out, window.end)
            out += write_record(window.latest)
    out.append(0)
    return bytes(out)


def decode_stored(data: bytes) -> StoredStock:
    record: dict[str, Any] = schemaless_reader(io.BytesIO(data), STORED_SCHEMA, None)  # type: ignore[assignment]
    stock = SkuStock(
        merchant_sku=record["merchant_sku"],
        warehouses={
            w["warehouse_id"]: WarehouseStock(in_stock=w["in_stock"], booked=w["booked"],
                                              reserved=w["reserved"], incoming=w["incoming"])
            for w in record["warehouses"]
        },
        orders=OrderBook((o["order_id"], _order_from_avro(o)) for o in record["orders"]),
        purchase_orders={(p["warehouse_id"], p["po_id"]): p["remaining"]
                         for p in record["purchase_orders"]},
        promotion_reserves={(r["warehouse_id"], r["store_id"]): r["qty"]
                            for r in record["promotion_reserves"]},
        mappings=frozenset((m["store_id"], m["store_sku"]) for m in record["mappings"]),
    )
    listings = SkuListings(stock.merchant_sku, {
        (item["store_id"], item["store_sku"]): _listing_from_avro(item)
        for item in record["listings"]
    })
    return StoredStock(applied_offset=record["applied_offset"], stock=stock,
                       listings=listings if listings.listings else None)


def _listing_to_avro(listing: tuple[str, str], state: ListingState) -> dict[str, Any]:
    window = state.window
    return {
        "store_id": listing[0], "store_sku": listing[1], "last_after_qty": state.last_after_qty,
        "window": None if window is None else {
            "start": window.start, "end": window.end,
            "latest": sync_record_to_avro(window.latest)},
    }


def _listing_from_avro(item: dict[str, Any]) -> ListingState:
    window = item["window"]
    return ListingState(
        last_after_qty=item["last_after_qty"],
        window=None if window is None else OpenWindow(
            start=window["start"], end=window["end"],
            latest=sync_record_from_avro(window["latest"])),
    )
