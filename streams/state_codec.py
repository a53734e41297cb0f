"""The stock table's value: a SKU's state and the source offset it has applied, as Avro
(schemas/state/StoredSkuStock.avsc), so that the changelog topic is readable by any Avro tool."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from stocksync.domain.stock import Order, OrderBook, OrderState, SkuStock, WarehouseStock

_SCHEMA = parse_schema(json.loads(
    resources.files("stocksync.schemas").joinpath("state/StoredSkuStock.avsc").read_text()
))


@dataclass(frozen=True, slots=True)
class StoredStock:
    applied_offset: int  # the highest stock-events offset folded into `stock`
    stock: SkuStock


def encode_stored(stored: StoredStock) -> bytes:
    """Collections are written sorted: equal states give equal bytes, whatever their history."""
    state = stored.stock
    record = {
        "applied_offset": stored.applied_offset,
        "merchant_sku": state.merchant_sku,
        "warehouses": [
            {"warehouse_id": wid, "in_stock": w.in_stock, "booked": w.booked,
             "reserved": w.reserved, "incoming": w.incoming}
            for wid, w in sorted(state.warehouses.items())
        ],
        "orders": [
            {"order_id": oid, "warehouse_id": o.warehouse_id, "qty": o.qty,
             "state": o.state.value, "closed_at": o.closed_at}
            for oid, o in sorted(state.orders.items())
        ],
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
    }
    buffer = io.BytesIO()
    schemaless_writer(buffer, _SCHEMA, record)
    return buffer.getvalue()


def decode_stored(data: bytes) -> StoredStock:
    record: dict[str, Any] = schemaless_reader(io.BytesIO(data), _SCHEMA, None)  # type: ignore[assignment]
    stock = SkuStock(
        merchant_sku=record["merchant_sku"],
        warehouses={
            w["warehouse_id"]: WarehouseStock(in_stock=w["in_stock"], booked=w["booked"],
                                              reserved=w["reserved"], incoming=w["incoming"])
            for w in record["warehouses"]
        },
        orders=OrderBook(
            (o["order_id"], Order(warehouse_id=o["warehouse_id"], qty=o["qty"],
                                  state=OrderState(o["state"]), closed_at=o["closed_at"]))
            for o in record["orders"]
        ),
        purchase_orders={(p["warehouse_id"], p["po_id"]): p["remaining"]
                         for p in record["purchase_orders"]},
        promotion_reserves={(r["warehouse_id"], r["store_id"]): r["qty"]
                            for r in record["promotion_reserves"]},
        mappings=frozenset((m["store_id"], m["store_sku"]) for m in record["mappings"]),
    )
    return StoredStock(applied_offset=record["applied_offset"], stock=stock)
