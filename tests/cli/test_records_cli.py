"""`stocksync records ...` against a fake worker: the requests it sends and what it prints."""

from __future__ import annotations

import json
import re

from tests.cli.fake_worker import FakeWorker, Seen
from tests.cli.history_json import TOKEN, epoch_ms, run, sync_record, tables

RECORD_HEADER = ("sync time", "record", "store", "store SKU", "merchant SKU", "warehouse",
                 "before", "movement", "after", "rule", "reason", "status", "failure")


def test_list_prints_the_bigseller_columns_in_local_time(worker: FakeWorker) -> None:
    """One row per record, its sync time in STOCKSYNC_TIME_ZONE, movement signed, failure
    reason with its message."""
    worker.answer("GET", "/sync-records", {"records": [
        sync_record("r2", movement=3, after_qty=13, status="SUCCESSFULLY", failure_code=None,
                    failure_message=None, store_nickname="Lazada ID", store_id="S2"),
        sync_record("r1"),
    ], "next_cursor": None})

    result = run(worker, "records", "list")

    assert result.exit_code == 0, result.output
    [table] = tables(result.stdout)
    assert table == [
        RECORD_HEADER,
        ("2024-05-01 09:00:00+07:00", "r2", "Lazada ID", "SHP-A", "A", "WH-1", "10", "+3", "13",
         "main", "STOCK_OUT_SALE", "SUCCESSFULLY", "-"),
        ("2024-05-01 09:00:00+07:00", "r1", "Shopee Main", "SHP-A", "A", "WH-1", "10", "-2", "8",
         "main", "STOCK_OUT_SALE", "FAILED", "AUTH_EXPIRED: token expired"),
    ]


def test_filter_options_become_the_apis_query_parameters(worker: FakeWorker) -> None:
    """Each option names its parameter; repeated list options are comma-separated; the token
    goes as a bearer token."""
    worker.answer("GET", "/sync-records", {"records": [], "next_cursor": None})

    result = run(worker, "records", "list", "--sku", "A&B", "--store", "S1", "--store-sku",
                 "X 1", "--marketplace", "Shopee", "--status", "FAILED", "--status", "PENDING",
                 "--reason", "8,SYNC_ORDER", "--failure-reason", "AUTH_EXPIRED", "--since",
                 "2024-05-01", "--until", "2024-05-03T10:00", "--limit", "5")
    week = run(worker, "records", "list", "--range", "WEEK")

    assert (result.exit_code, week.exit_code) == (0, 0), result.output + week.output
    assert result.stdout.strip() == "no sync records"
    first, second = worker.requests
    assert first.query == {
        "merchant_sku": "A&B", "store_id": "S1", "store_sku": "X 1", "marketplace": "Shopee",
        "status": "FAILED,PENDING", "reason": "8,SYNC_ORDER", "failure_reason": "AUTH_EXPIRED",
        "since": "2024-05-01", "until": "2024-05-03T10:00", "limit": "5"}
    assert first.authorization == f"Bearer {TOKEN}"
    assert second.query == {"range": "week"}


def test_json_prints_the_workers_answer(worker: FakeWorker) -> None:
    answer = {"records": [sync_record("r1")], "next_cursor": "c-1"}
    worker.answer("GET", "/sync-records", answer)

    result = run(worker, "records", "list", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == answer


def _pages(seen: Seen) -> tuple[int, object]:
    pages = {None: (["r5", "r4"], "c-1"), "c-1": (["r3", "r2"], "c-2"), "c-2": (["r1"], None)}
    ids, cursor = pages[seen.query.get("cursor")]
    return 200, {"records": [sync_record(i) for i in ids], "next_cursor": cursor}


def test_all_follows_next_cursor_to_the_end(worker: FakeWorker) -> None:
    """--all asks with each next_cursor until there is none, keeping the filter and limit."""
    worker.answer_with("GET", "/sync-records", _pages)

    result = run(worker, "records", "list", "--all", "--status", "FAILED", "--limit", "2")
    as_json = run(worker, "records", "list", "--all", "--json")

    assert result.exit_code == 0, result.output
    assert [row[1] for row in tables(result.stdout)[0][1:]] == ["r5", "r4", "r3", "r2", "r1"]
    assert [s.query for s in worker.requests[:3]] == [
        {"status": "FAILED", "limit": "2"},
        {"status": "FAILED", "limit": "2", "cursor": "c-1"},
        {"status": "FAILED", "limit": "2", "cursor": "c-2"}]
    assert "--cursor" not in result.output
    assert json.loads(as_json.stdout) == {
        "records": [sync_record(i) for i in ("r5", "r4", "r3", "r2", "r1")],
        "next_cursor": None}


def test_one_page_says_where_the_next_starts(worker: FakeWorker) -> None:
    """Without --all only the first page is fetched; the next cursor is shown on stderr."""
    worker.answer_with("GET", "/sync-records", _pages)

    first = run(worker, "records", "list")
    second = run(worker, "records", "list", "--cursor", "c-1")

    assert [row[1] for row in tables(first.stdout)[0][1:]] == ["r5", "r4"]
    assert "more: --cursor c-1" in first.stderr and "c-1" not in first.stdout
    assert [row[1] for row in tables(second.stdout)[0][1:]] == ["r3", "r2"]
    assert len(worker.requests) == 2


def test_a_cursor_served_twice_ends_the_command(worker: FakeWorker) -> None:
    """A worker that keeps serving the same cursor cannot make --all run forever."""
    worker.answer("GET", "/sync-records", {"records": [sync_record("r1")], "next_cursor": "c"})

    result = run(worker, "records", "list", "--all")

    assert result.exit_code == 1
    assert "served cursor c twice" in result.output


def test_a_refused_parameter_is_named_as_its_option(worker: FakeWorker) -> None:
    """The worker's 400 names a query parameter; the CLI says its message and the option."""
    worker.answer("GET", "/sync-records", {
        "error": "'DONE' is not one of PENDING, SKIPPED, SUCCESSFULLY, FAILED",
        "parameter": "status"}, status=400)

    result = run(worker, "records", "list", "--status", "DONE")

    assert result.exit_code == 1
    assert ("Error: 400: status: 'DONE' is not one of PENDING, SKIPPED, SUCCESSFULLY, FAILED "
            "(option --status)") in result.output
    assert result.stdout == ""


def test_auth_errors_and_an_absent_worker_are_clear(worker: FakeWorker) -> None:
    worker.answer("GET", "/sync-records", {"error": "the token is not valid"}, status=401)

    refused = run(worker, "records", "list")
    worker.url = "http://127.0.0.1:9"  # discard: nothing listens
    absent = run(worker, "records", "list")

    assert refused.exit_code == 1 and "Error: 401: the token is not valid" in refused.output
    assert absent.exit_code == 1 and "no worker answers at http://127.0.0.1:9" in absent.output


def test_show_prints_every_field_of_one_record(worker: FakeWorker) -> None:
    """The record id is one quoted path segment; times are local."""
    worker.answer("GET", "/sync-records/r/1", sync_record(
        "r/1", status="SKIPPED", superseded_by="r2", failure_code=None, failure_message=None))

    result = run(worker, "records", "show", "r/1")

    assert result.exit_code == 0, result.output
    assert worker.requests[0].raw_path == "/sync-records/r%2F1"
    lines = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in result.stdout.splitlines())
    assert lines["record"] == "r/1"
    assert lines["sync time"] == "2024-05-01 09:00:00+07:00"
    assert lines["log time"] == "2024-05-01 09:00:01+07:00"
    assert lines["store"] == "Shopee Main (S1)"
    assert lines["status"] == "SKIPPED"
    assert lines["superseded by"] == "r2"
    assert lines["failure reason"] == "-"
    assert lines["cause"] == "event e-1 at stock-events[3]@42"


def test_show_of_an_unknown_record_fails_with_the_workers_message(worker: FakeWorker) -> None:
    worker.answer("GET", "/sync-records/nope", {
        "error": "no such sync record (it may have left the history)", "record_id": "nope"},
        status=404)

    result = run(worker, "records", "show", "nope")

    assert result.exit_code == 1
    assert "Error: 404: no such sync record (it may have left the history)" in result.output


def _recording_row(sku: str, status: str, records: list[dict[str, object]]) -> dict[str, object]:
    latest = records[0]
    return {"merchant_sku": sku, "title": latest["title"], "last_sync_qty": latest["after_qty"],
            "last_sync_time": latest["sync_time"], "last_sync_status": status, "latest": latest,
            "sync_record_ids": sorted(str(r["record_id"]) for r in records)}


def test_skus_prints_each_merchant_skus_last_sync(worker: FakeWorker) -> None:
    failed = sync_record("r1", merchant_sku="A")
    synced = sync_record("r9", merchant_sku="B", title=None, after_qty=4, status="SUCCESSFULLY",
                         failure_code=None, failure_message=None, reason="PUSH_NOW",
                         sync_time=epoch_ms("2024-05-02T17:30:00"))
    worker.answer("GET", "/sync-recording", {"merchant_skus": [
        _recording_row("B", "SUCCESSFULLY", [synced]),
        _recording_row("A", "FAILED", [failed, sync_record("r0")])], "next_cursor": None})

    result = run(worker, "records", "skus", "--marketplace", "shopee")

    assert result.exit_code == 0, result.output
    assert worker.requests[0].query == {"marketplace": "shopee"}
    assert tables(result.stdout) == [[
        ("merchant SKU", "title", "last sync qty", "last sync time", "status", "store", "reason",
         "failure", "records"),
        ("B", "-", "4", "2024-05-03 00:30:00+07:00", "SUCCESSFULLY", "Shopee Main", "PUSH_NOW",
         "-", "1"),
        ("A", "Kopi 200g", "8", "2024-05-01 09:00:00+07:00", "FAILED", "Shopee Main",
         "STOCK_OUT_SALE", "AUTH_EXPIRED: token expired", "2"),
    ]]


def test_sku_prints_its_last_sync_and_its_records_newest_first(worker: FakeWorker) -> None:
    older = sync_record("a-old", log_time=epoch_ms("2024-05-01T01:00:00"))
    newer = sync_record("z-new", log_time=epoch_ms("2024-05-01T03:00:00"), status="SUCCESSFULLY",
                        failure_code=None, failure_message=None)
    row = {**_recording_row("A B", "SUCCESSFULLY", [newer, older]), "records": [older, newer]}
    worker.answer("GET", "/sync-recording/A B", row)

    result = run(worker, "records", "sku", "A B")
    as_json = run(worker, "records", "sku", "A B", "--json")

    assert result.exit_code == 0, result.output
    assert worker.requests[0].raw_path == "/sync-recording/A%20B"
    assert "last sync status  SUCCESSFULLY" in result.stdout
    assert [r[1] for r in tables(result.stdout)[0][1:]] == ["z-new", "a-old"]
    assert json.loads(as_json.stdout) == row


def test_listing_prints_the_push_record_page(worker: FakeWorker) -> None:
    """Store id and store SKU are quoted path segments, a slash included."""
    page = {"store_id": "S 1", "store_sku": "X/1", "last_push_qty": 8,
            "last_push_status": "FAILED", "last_push_time": epoch_ms("2024-05-01T02:00:00"),
            "records": [sync_record("r2", status="SKIPPED", failure_code=None,
                                    failure_message=None, superseded_by="r3"),
                        sync_record("r1")]}
    worker.answer("GET", "/push-records/S 1/X/1", page)

    result = run(worker, "records", "listing", "S 1", "X/1")

    assert result.exit_code == 0, result.output
    assert worker.requests[0].raw_path == "/push-records/S%201/X%2F1"
    assert "last push qty     8" in result.stdout
    assert "last push time    2024-05-01 09:00:00+07:00" in result.stdout
    assert [(r[1], r[11]) for r in tables(result.stdout)[0][1:]] == [
        ("r2", "SKIPPED"), ("r1", "FAILED")]
