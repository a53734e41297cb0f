"""The wire format, pinned: if these bytes change, every consumer in every language breaks."""

from __future__ import annotations

import pytest

from stocksync.domain.events import (
    MappingAction,
    MappingChanged,
    OrderStatus,
    OrderSynced,
    PushNowRequested,
    SaleShipped,
    StockEvent,
)
from stocksync.schemas.codec import default_codec

ENVELOPE = dict(
    event_id="evt-0001",
    merchant_sku="SKU-APPLE",
    warehouse_id="WH-1",
    occurred_at=1714564800000,  # 2024-05-01T12:00:00Z
    source="wms",
)
# fmt: off
# The envelope's body bytes: length-prefixed UTF-8 strings and a zigzag varint for occurred_at.
ENVELOPE_HEX = (
    "10" "6576742d30303031"  # event_id, 8 bytes
    "12" "534b552d4150504c45"  # merchant_sku, 9 bytes
    "08" "57482d31"  # warehouse_id, 4 bytes
    "80f8b4c0e663"  # occurred_at 1714564800000
    "06" "776d73"  # source, 3 bytes
)

GOLDEN: list[tuple[StockEvent, str]] = [
    (
        SaleShipped(**ENVELOPE, qty=4, order_id=None),
        "c301" "c203189068dee11a"  # marker, fingerprint of SaleShipped v1
        + ENVELOPE_HEX
        + "08"  # qty 4
        "00",  # order_id: union branch 0 = null
    ),
    (
        OrderSynced(
            **ENVELOPE, order_id="ORD-7", store_id="shopee-1", qty=4,
            order_status=OrderStatus.CANCELLED,
        ),
        "c301" "2334867f6b22bece"
        + ENVELOPE_HEX
        + "0a" "4f52442d37"  # order_id
        "10" "73686f7065652d31"  # store_id
        "08"  # qty 4
        "02",  # order_status: enum index 1 = CANCELLED
    ),
    (
        PushNowRequested(**ENVELOPE, store_ids=("shopee-1", "lazada-2")),
        "c301" "b5527837b70339ef"
        + ENVELOPE_HEX
        + "04"  # one block of 2 items
        "10" "73686f7065652d31"
        "10" "6c617a6164612d32"
        "00",  # end of array
    ),
    (
        MappingChanged(
            **ENVELOPE, store_id="shopee-1", store_sku="APL-01", action=MappingAction.REMOVE
        ),
        "c301" "3054b153b3795a74"
        + ENVELOPE_HEX
        + "10" "73686f7065652d31"  # store_id
        "0c" "41504c2d3031"  # store_sku
        "02",  # action: enum index 1 = REMOVE
    ),
]
# fmt: on


@pytest.mark.parametrize(("event", "golden_hex"), GOLDEN, ids=lambda v: type(v).__name__)
def test_encode_writes_the_pinned_bytes(event: StockEvent, golden_hex: str) -> None:
    """encode() produces exactly the pinned single-object bytes."""
    assert golden_hex == default_codec().encode(event).hex()


@pytest.mark.parametrize(("event", "golden_hex"), GOLDEN, ids=lambda v: type(v).__name__)
def test_decode_reads_the_pinned_bytes(event: StockEvent, golden_hex: str) -> None:
    """decode() of the pinned bytes gives back the event."""
    assert event == default_codec().decode(bytes.fromhex(golden_hex))


@pytest.mark.parametrize(("event", "golden_hex"), GOLDEN, ids=lambda v: type(v).__name__)
def test_pinned_header_is_the_current_fingerprint(event: StockEvent, golden_hex: str) -> None:
    """The pinned fingerprint is the current schema's: the schema files have not drifted."""
    assert golden_hex[4:20] == default_codec().writer_fingerprint(type(event)).hex()
