"""The stock table's value round-trips and is canonical."""

from __future__ import annotations

import io

from fastavro import schemaless_writer
from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.listings import ListingState, OpenWindow, SkuListings
from stocksync.domain.stock import fold
from stocksync.streams.state_codec import (
    STORED_SCHEMA,
    StoredStock,
    decode_stored,
    encode_stored,
    stored_to_avro,
)
from tests.domain.strategies import event_logs, sync_records


@settings(max_examples=60, deadline=None)
@given(log=event_logs(), offset=st.integers(min_value=0, max_value=2**62))
def test_stored_stock_round_trips_and_equal_states_encode_equally(log, offset) -> None:
    """decode(encode(s)) == s, and re-encoding the decoded state gives the same bytes."""
    for state in fold(log).states.values():
        stored = StoredStock(applied_offset=offset, stock=state)
        data = encode_stored(stored)
        assert stored == decode_stored(data)
        assert data == encode_stored(decode_stored(data))


@settings(max_examples=60, deadline=None)
@given(log=event_logs(), offset=st.integers(min_value=0, max_value=2**62),
       windows=st.lists(st.tuples(st.none() | st.integers(min_value=-(2**62), max_value=2**62),
                                  st.none() | st.integers(min_value=0, max_value=2**62),
                                  sync_records), max_size=4),
       with_orders=st.booleans())
def test_the_straight_encoding_is_the_schemas(log, offset, windows, with_orders) -> None:
    """`encode_stored` writes field by field for speed: the same bytes as fastavro writes
    from the schema, with and without orders, with listings with and without windows."""
    for state in fold(log).states.values():
        listings = {}
        for n, (last_after_qty, start, latest) in enumerate(windows):
            window = None if start is None else OpenWindow(start, start + 1000, latest)
            listings[(f"S{n % 2}", f"sku-{n}")] = ListingState(last_after_qty, window)
        stored = StoredStock(offset, state, SkuListings(state.merchant_sku, listings))
        generic = io.BytesIO()
        schemaless_writer(generic, STORED_SCHEMA, stored_to_avro(stored, with_orders=with_orders))
        assert generic.getvalue() == encode_stored(stored, with_orders=with_orders)
