"""`project_batch`: a batch of sync records applied to one partition's history tables at once
stores what applying them one at a time stores, whatever the batch boundaries and however often
a batch is delivered again."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.projections.view_codec import decode_listing_history
from stocksync.streams.history_projection import TABLES, listing_key, project_batch
from tests.projections.histories import histories, record
from tests.projections.test_views import updates

Tables = dict[str, dict[bytes, bytes]]


def applied(tables: Tables, records: list[SyncRecord], limit: int) -> Tables:
    """`tables` after one batch, written as the agent writes it."""
    writes = project_batch(lambda name, key: tables[name].get(key), records, limit)
    assert set(TABLES) == set(writes)
    return {name: {**tables[name], **dict(writes[name])} for name in TABLES}


def in_batches(messages: list[SyncRecord], cuts: list[int], limit: int) -> Tables:
    tables: Tables = {name: {} for name in TABLES}
    bounds = [0, *sorted(c % (len(messages) + 1) for c in cuts), len(messages)]
    for start, end in zip(bounds, bounds[1:]):
        tables = applied(tables, messages[start:end], limit)
    return tables


@settings(max_examples=60, deadline=None)
@given(history=histories(max_size=30), limit=st.integers(1, 6),
       cuts=st.lists(st.integers(0, 100), max_size=6), seed=st.randoms())
def test_batches_store_what_single_records_store(history: list[SyncRecord], limit: int,
                                                 cuts: list[int], seed: random.Random) -> None:
    # Step 1: every record's updates (PENDING or SKIPPED, then an outcome), some repeated.
    messages = updates(history)
    messages += seed.sample(messages, len(messages) // 3)
    # Step 2: one record per batch, as the per-record agent did, against batches cut anywhere.
    one_by_one = in_batches(messages, list(range(len(messages))), limit)
    assert one_by_one == in_batches(messages, cuts, limit)
    # Step 3: a batch delivered again (a crash before its offset was committed) changes nothing.
    assert one_by_one == applied(one_by_one, messages[-5:], limit)


def test_a_hot_listing_is_written_once_per_batch() -> None:
    burst = [record(n, log_time=1_714_500_000_000 + n, status=SyncStatus.SKIPPED)
             for n in range(250)]
    writes = project_batch(lambda name, key: None, burst, 100)
    # 250 records, 500 index entries, one summary and one listing page of the latest 100.
    assert [250, 500, 1, 1] == [len(writes[n]) for n in ("records", "by_time", "summaries",
                                                           "listings")]
    (key, page), = writes["listings"]
    assert listing_key("S1", "a1") == key
    assert [r.record_id for r in burst[-100:]] == [
        r.record_id for r in decode_listing_history(page).records]
