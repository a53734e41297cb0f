"""Bytes of the views for RocksDB tables: every view round-trips, and foreign bytes are refused."""

from __future__ import annotations

from functools import reduce

import pytest
from hypothesis import given, settings

from stocksync.domain.sync import SyncRecord
from stocksync.projections.sync_logs import SubjectSummary
from stocksync.projections.view_codec import (
    decode_listing_history,
    decode_sku_summary,
    decode_subject_summary,
    decode_sync_log_entry,
    encode_listing_history,
    encode_sku_summary,
    encode_subject_summary,
    encode_sync_log_entry,
)
from stocksync.projections.views import ListingHistory, apply_to_listing, apply_to_summary
from stocksync.schemas.errors import EventDecodeError
from stocksync.schemas.push_codec import encode_sync_record

from .histories import entry, histories, record

modest = settings(max_examples=60, deadline=None)


@modest
@given(history=histories(max_size=20))
def test_listing_histories_round_trip(history: list[SyncRecord]) -> None:
    """Every listing history decodes to itself, all record fields and failures included."""
    # the views of every listing of the history
    views: dict[tuple[str, str], ListingHistory] = {}
    for r in history:
        key = (r.store_id, r.store_sku)
        views[key] = apply_to_listing(views.get(key), r)
    for view in views.values():
        assert view == decode_listing_history(encode_listing_history(view))


@modest
@given(history=histories(max_size=20, min_size=1))
def test_sku_summaries_round_trip(history: list[SyncRecord]) -> None:
    """A SKU summary decodes to itself."""
    # the summary of the history's first SKU
    sku = history[0].merchant_sku
    view = reduce(apply_to_summary, (r for r in history if r.merchant_sku == sku), None)
    assert view is not None
    assert view == decode_sku_summary(encode_sku_summary(view))


def test_sync_log_entries_and_subject_summaries_round_trip() -> None:
    """Entries with and without failure and details, and their summaries, decode to themselves."""
    # a failed entry with details, and a plain one
    failed = entry("o1", status="FAILED", failure_code="VALIDATION", failure_message="no total",
                   details=(("source", "lightspeed"), ("total", "12.50")))
    for each in (failed, entry("o2")):
        assert each == decode_sync_log_entry(encode_sync_log_entry(each))
        summary = SubjectSummary(each.kind, each.store_id, each.subject_id, each)
        assert summary == decode_subject_summary(encode_subject_summary(summary))


def test_a_hundred_records_take_under_20_kb() -> None:
    """A full Push Record view stays compact (Avro: no field names per record)."""
    # 100 records of one listing
    view = reduce(lambda v, n: apply_to_listing(v, record(n, n)), range(100), None)
    assert view is not None
    assert len(encode_listing_history(view)) < 20_000


def test_bytes_of_another_schema_are_refused() -> None:
    """A sync record's bytes are not a listing history, nor is a summary's."""
    # a record, then a summary, read as a listing history
    summary = apply_to_summary(None, record(1))
    for data in (encode_sync_record(record(1)), encode_sku_summary(summary)):
        with pytest.raises(EventDecodeError):
            decode_listing_history(data)
