"""The stock table's value round-trips and is canonical."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.stock import fold
from stocksync.streams.state_codec import StoredStock, decode_stored, encode_stored
from tests.domain.strategies import event_logs


@settings(max_examples=60, deadline=None)
@given(log=event_logs(), offset=st.integers(min_value=0, max_value=2**62))
def test_stored_stock_round_trips_and_equal_states_encode_equally(log, offset) -> None:
    """decode(encode(s)) == s, and re-encoding the decoded state gives the same bytes."""
    for state in fold(log).states.values():
        stored = StoredStock(applied_offset=offset, stock=state)
        data = encode_stored(stored)
        assert stored == decode_stored(data)
        assert data == encode_stored(decode_stored(data))
