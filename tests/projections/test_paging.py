"""Cursor paging newest first, and the k-way merge of the pages several workers serve."""

from __future__ import annotations

import base64
import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stocksync.domain.sync import SyncRecord, SyncStatus
from stocksync.projections.paging import (
    Page,
    decode_cursor,
    encode_cursor,
    limit_from_query,
    merge_pages,
    decode_cursor as cursor_key,
    newest_first,
    page,
    page_of_newest_first,
    sort_key,
)
from stocksync.projections.queries import RecordFilter, filter_from_query, merge_record_pages
from stocksync.projections.query_errors import QueryError

from .histories import BASE, as_query, conditions, histories, record

modest = settings(max_examples=80, deadline=None)
ANY = RecordFilter()


def newest(records: list[SyncRecord]) -> list[SyncRecord]:
    return sorted(records, key=lambda r: (r.log_time, r.record_id), reverse=True)


def served(records: list[SyncRecord], limit: int, where: RecordFilter = ANY) -> list[SyncRecord]:
    """Every page of `records`, in the order served."""
    items: list[SyncRecord] = []
    cursor = None
    while True:
        current = page(records, where, cursor, limit)
        items += current.items
        if current.next_cursor is None:
            return items
        cursor = current.next_cursor


@modest
@given(history=histories(max_size=30))
def test_paging_with_every_page_size_serves_each_record_once_in_order(
    history: list[SyncRecord],
) -> None:
    """For page sizes 1 to len+1, the pages hold every record exactly once, newest first."""
    # every page size, past the number of records
    for limit in range(1, len(history) + 2):
        assert newest(history) == served(history, limit)


@modest
@given(history=histories(max_size=25), arriving=histories(max_size=10), limit=st.integers(1, 6))
def test_newer_records_arriving_between_pages_shift_nothing(
    history: list[SyncRecord], arriving: list[SyncRecord], limit: int
) -> None:
    """Records newer than everything served, inserted after each page, never appear in the
    pages still to come, and the records that were there are each served once, in order."""
    # the arriving records are newer than all the history (ids distinct from it)
    later = [dataclasses.replace(r, record_id=f"n{r.record_id}", log_time=r.log_time + 10_000)
             for r in arriving]
    table, items, cursor = list(history), list[SyncRecord](), None
    while True:
        current = page(table, ANY, cursor, limit)
        items += current.items
        # one new record lands after each page
        if later:
            table.append(later.pop())
        if current.next_cursor is None:
            break
        cursor = current.next_cursor
    assert newest(history) == items


def test_the_last_page_has_no_cursor_and_an_empty_table_one_empty_page() -> None:
    """Three records by two: a full page with a cursor, then one record without."""
    # records at 1, 2, 3
    r1, r2, r3 = record(1, 1), record(2, 2), record(3, 3)
    first = page([r1, r2, r3], ANY, None, 2)
    assert (r3, r2) == first.items
    assert Page((r1,), None) == page([r1, r2, r3], ANY, first.next_cursor, 2)
    # nothing at all
    assert Page((), None) == page([], ANY, None, 2)


def test_equal_log_times_are_ordered_by_record_id() -> None:
    """Records of one millisecond come by id, descending, and page apart cleanly."""
    # three records at the same log time
    a, b, c = record(1, 5), record(2, 5), record(3, 5)
    assert [c, b, a] == served([b, a, c], 1)


def test_a_cursor_is_the_sort_key_in_urlsafe_base64() -> None:
    """A cursor decodes to the key it was made of, and has no padding."""
    # a record id with characters that need care in URLs
    key = (BASE, "r/+?&=")
    cursor = encode_cursor(key)
    assert key == decode_cursor(cursor)
    assert "=" not in cursor


@pytest.mark.parametrize(
    "cursor",
    ["", "not base64!", base64.urlsafe_b64encode(b"[1]").decode(),
     base64.urlsafe_b64encode(b'["1", "r1"]').decode(),
     base64.urlsafe_b64encode(b"[true, \"r1\"]").decode(),
     base64.urlsafe_b64encode(b"\xff\xfe").decode()],
)
def test_a_bad_cursor_is_a_query_error(cursor: str) -> None:
    """Anything that is not a cursor we made is refused, naming cursor."""
    # page with the bad cursor
    with pytest.raises(QueryError) as error:
        page([record(1)], ANY, cursor, 10)
    assert "cursor" == error.value.parameter


@pytest.mark.parametrize(("value", "expected"), [(None, 50), ("1", 1), ("1000", 1000)])
def test_limit_from_query(value: str | None, expected: int) -> None:
    """limit= gives the page size, 50 when absent."""
    # the parameter, or none
    assert expected == limit_from_query({} if value is None else {"limit": value})


@pytest.mark.parametrize("value", ["0", "1001", "-1", "ten", ""])
def test_a_bad_limit_is_a_query_error(value: str) -> None:
    """A limit outside 1..1000 is refused, naming limit."""
    # the bad limit
    with pytest.raises(QueryError) as error:
        limit_from_query({"limit": value})
    assert "limit" == error.value.parameter


@modest
@given(history=histories(max_size=40), workers=st.integers(1, 4), seed=st.randoms())
def test_k_way_merge_equals_a_global_sort(
    history: list[SyncRecord], workers: int, seed: random.Random
) -> None:
    """Records spread over workers, each run sorted newest first, merge into the global order."""
    # each record on a random worker, each worker's run sorted
    runs: list[list[SyncRecord]] = [[] for _ in range(workers)]
    for r in history:
        runs[seed.randrange(workers)].append(r)
    assert newest(history) == list(newest_first(newest(run) for run in runs))


@modest
@given(history=histories(max_size=40), workers=st.integers(1, 4), limit=st.integers(1, 8),
       seed=st.randoms())
def test_scattered_pages_merge_into_the_pages_of_one_table(
    history: list[SyncRecord], workers: int, limit: int, seed: random.Random
) -> None:
    """Each worker pages its own records with the merged cursor; the merged pages are the pages
    of one table holding every record, cursors included."""
    # each record on a random worker
    shards: list[list[SyncRecord]] = [[] for _ in range(workers)]
    for r in history:
        shards[seed.randrange(workers)].append(r)
    cursor, whole_cursor = None, None
    while True:
        # scatter the request, gather the pages
        merged = merge_pages([page(shard, ANY, cursor, limit) for shard in shards], limit)
        whole = page(history, ANY, whole_cursor, limit)
        assert whole == merged
        if merged.next_cursor is None:
            break
        cursor, whole_cursor = merged.next_cursor, whole.next_cursor


def test_a_record_two_workers_serve_appears_once_merged() -> None:
    """During a rebalance two workers may serve the same record: the outcome wins."""
    # one worker still has it pending, the other failed
    pending = record(1, 10)
    failed = dataclasses.replace(pending, status=SyncStatus.FAILED)
    merged = merge_record_pages([Page((pending,)), Page((failed, record(0, 5)))], 10)
    assert Page((failed, record(0, 5))) == merged


@modest
@given(history=histories(max_size=30), where=conditions(), limit=st.integers(1, 8))
def test_a_page_of_items_already_newest_first_equals_the_sorting_page(
    history: list[SyncRecord], where: dict, limit: int,
) -> None:
    """Reading a reverse index after the cursor serves the same pages as sorting everything."""
    params = as_query({**where, "since": None, "until": None})
    record_filter = filter_from_query(params, BASE, "UTC")
    cursor = None
    for _ in range(len(history) + 1):
        expected = page(history, record_filter, cursor, limit)
        after = cursor_key(cursor) if cursor else None
        scanned = (r for r in newest(history) if after is None or sort_key(r) < after)
        assert expected == page_of_newest_first(scanned, record_filter, limit)
        cursor = expected.next_cursor
        if cursor is None:
            break
