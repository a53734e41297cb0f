"""`stocksync sync-logs ...`: product, order, customer and refund sync logs from a fake worker."""

from __future__ import annotations

import json
import re

from tests.cli.fake_worker import FakeWorker, Seen
from tests.cli.history_json import log_entry, run, tables


def test_list_prints_one_row_per_entry_in_local_time(worker: FakeWorker) -> None:
    worker.answer("GET", "/sync-logs", {"entries": [
        log_entry("l2", kind="PRODUCT", subject_id="A", status="SYNCED", attempt=2,
                  failure_code=None, failure_message=None, details={}),
        log_entry("l1"),
    ], "next_cursor": None})

    result = run(worker, "sync-logs", "list")

    assert result.exit_code == 0, result.output
    assert tables(result.stdout) == [[
        ("sync time", "record", "kind", "store", "marketplace", "subject", "status", "attempt",
         "failure", "details"),
        ("2024-05-01 09:00:00+07:00", "l2", "PRODUCT", "S1", "shopee", "A", "SYNCED", "2", "-",
         "-"),
        ("2024-05-01 09:00:00+07:00", "l1", "ORDER", "S1", "shopee", "SO-1", "FAILED", "1",
         "TIMEOUT: no answer in 30 s", "source=shopee, total=120000"),
    ]]


def test_list_filters_and_pages(worker: FakeWorker) -> None:
    """Filter options become the API's parameters; --all follows next_cursor."""
    def pages(seen: Seen) -> tuple[int, object]:
        ids, cursor = {None: (["l3", "l2"], "c-1"), "c-1": (["l1"], None)}[
            seen.query.get("cursor")]
        return 200, {"entries": [log_entry(i) for i in ids], "next_cursor": cursor}

    worker.answer_with("GET", "/sync-logs", pages)

    result = run(worker, "sync-logs", "list", "--kind", "ORDER", "--kind", "REFUND", "--store",
                 "S1", "--marketplace", "Lazada", "--subject", "SO 1", "--status", "FAILED",
                 "--failure-reason", "TIMEOUT", "--range", "today", "--limit", "2", "--all",
                 "--json")

    assert result.exit_code == 0, result.output
    filters = {"kind": "ORDER,REFUND", "store_id": "S1", "marketplace": "Lazada",
               "subject_id": "SO 1", "status": "FAILED", "failure_reason": "TIMEOUT",
               "range": "today", "limit": "2"}
    assert [s.query for s in worker.requests] == [filters, {**filters, "cursor": "c-1"}]
    assert json.loads(result.stdout) == {
        "entries": [log_entry(i) for i in ("l3", "l2", "l1")], "next_cursor": None}


def test_show_prints_the_entry_and_its_details(worker: FakeWorker) -> None:
    worker.answer("GET", "/sync-logs/l 1", log_entry("l 1"))

    result = run(worker, "sync-logs", "show", "l 1")

    assert result.exit_code == 0, result.output
    assert worker.requests[0].raw_path == "/sync-logs/l%201"
    lines = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in result.stdout.splitlines())
    assert lines["sync time"] == "2024-05-01 09:00:00+07:00"
    assert (lines["kind"], lines["subject"], lines["status"]) == ("ORDER", "SO-1", "FAILED")
    assert (lines["failure reason"], lines["failure message"]) == ("TIMEOUT", "no answer in 30 s")
    assert (lines["source"], lines["total"]) == ("shopee", "120000")


def test_resync_posts_ids_or_a_filter_and_prints_the_answer(worker: FakeWorker) -> None:
    answer = {"queued": [{"request_id": "resync-b1-0", "kind": "ORDER", "store_id": "S1",
                          "subject_id": "SO-1", "attempt": 2, "record_ids": ["l1", "l2"]}],
              "not_retryable": [{"record_id": "l9", "refusal": "UNKNOWN", "status": None,
                                 "message": "no such record"}]}
    worker.answer("POST", "/sync-logs/resync", answer)

    by_ids = run(worker, "sync-logs", "resync", "--id", "l1", "--id", "l2", "--id", "l9")
    by_filter = run(worker, "sync-logs", "resync", "--kind", "ORDER", "--failure-reason",
                    "TIMEOUT", "--json")

    assert by_ids.exit_code == 0, by_ids.output
    assert [s.body for s in worker.requests] == [
        {"record_ids": ["l1", "l2", "l9"]},
        {"filter": {"kind": "ORDER", "failure_reason": "TIMEOUT"}}]
    assert "queued 1 re-sync" in by_ids.stdout
    assert tables(by_ids.stdout) == [
        [("kind", "store", "subject", "attempt", "failed entries", "request"),
         ("ORDER", "S1", "SO-1", "2", "l1,l2", "resync-b1-0")],
        [("record", "refusal", "status", "message"), ("l9", "UNKNOWN", "-", "no such record")]]
    assert json.loads(by_filter.stdout) == answer


def test_resync_needs_ids_or_a_filter(worker: FakeWorker) -> None:
    result = run(worker, "sync-logs", "resync")

    assert result.exit_code == 2 and worker.requests == []


def test_a_refused_log_parameter_is_named_as_its_option(worker: FakeWorker) -> None:
    worker.answer("GET", "/sync-logs", {"error": "'INVOICE' is not one of PRODUCT, ORDER, "
                                                 "CUSTOMER, REFUND", "parameter": "kind"},
                  status=400)

    result = run(worker, "sync-logs", "list", "--kind", "INVOICE")

    assert result.exit_code == 1
    assert "(option --kind)" in result.output and "'INVOICE' is not one of" in result.output
