"""`stocksync retry`: the body it posts and what it prints of the worker's answer."""

from __future__ import annotations

import json

import pytest

from tests.cli.fake_worker import FakeWorker
from tests.cli.history_json import run, tables

ANSWER = {
    "queued": [{"merchant_sku": "A", "store_ids": ["S1", "S2"], "event_id": "retry-b1-0",
                "listings": [{"store_id": "S1", "store_sku": "SHP-A", "record_ids": ["r1", "r2"]},
                             {"store_id": "S2", "store_sku": "LZD-A", "record_ids": ["r3"]}]}],
    "not_retryable": [
        {"record_id": "r4", "refusal": "NOT_FAILED", "status": "SUCCESSFULLY",
         "message": "status SUCCESSFULLY: only FAILED records are retried"},
        {"record_id": "r5", "refusal": "UNKNOWN", "status": None,
         "message": "no such record (it may have left the 30-day history)"}],
}


def test_retry_by_ids_posts_them_and_prints_queued_and_refused(worker: FakeWorker) -> None:
    worker.answer("POST", "/push-records/retry", ANSWER)

    result = run(worker, "retry", "--id", "r1", "--id", "r2", "--id", "r3", "--id", "r4",
                 "--id", "r5")

    assert result.exit_code == 0, result.output
    [seen] = worker.requests
    assert (seen.method, seen.body) == ("POST", {"record_ids": ["r1", "r2", "r3", "r4", "r5"]})
    assert "queued 1 push-now event for 2 listings" in result.stdout
    assert "not retried: 2 records" in result.stdout
    queued, refused = tables(result.stdout)
    assert queued == [("merchant SKU", "store", "store SKU", "failed records", "event"),
                      ("A", "S1", "SHP-A", "r1,r2", "retry-b1-0"),
                      ("A", "S2", "LZD-A", "r3", "retry-b1-0")]
    assert refused == [("record", "refusal", "status", "message"),
                       ("r4", "NOT_FAILED", "SUCCESSFULLY",
                        "status SUCCESSFULLY: only FAILED records are retried"),
                       ("r5", "UNKNOWN", "-",
                        "no such record (it may have left the 30-day history)")]


def test_retry_by_filter_posts_the_filter_as_query_strings(worker: FakeWorker) -> None:
    """Only the options given are sent, as GET /sync-records parameters."""
    worker.answer("POST", "/push-records/retry", {"queued": [], "not_retryable": []})

    result = run(worker, "retry", "--failure-reason", "AUTH_EXPIRED", "--failure-reason",
                 "VALIDATION", "--store", "S1", "--range", "week")

    assert result.exit_code == 0, result.output
    assert worker.requests[0].body == {"filter": {
        "failure_reason": "AUTH_EXPIRED,VALIDATION", "store_id": "S1", "range": "week"}}
    assert result.stdout.strip() == "queued 0 push-now events for 0 listings"


def test_retry_json_prints_the_workers_answer(worker: FakeWorker) -> None:
    worker.answer("POST", "/push-records/retry", ANSWER)

    result = run(worker, "retry", "--status", "FAILED", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == ANSWER
    assert worker.requests[0].body == {"filter": {"status": "FAILED"}}


@pytest.mark.parametrize("args", [(), ("--id", "r1", "--store", "S1")])
def test_retry_needs_ids_or_a_filter_not_both(worker: FakeWorker, args: tuple[str, ...]) -> None:
    """Nothing named would retry every failed record: that must be asked for (--status FAILED)."""
    result = run(worker, "retry", *args)

    assert result.exit_code == 2
    assert "--id" in result.output
    assert worker.requests == []


def test_a_refused_retry_filter_names_the_option(worker: FakeWorker) -> None:
    worker.answer("POST", "/push-records/retry", {
        "error": "only FAILED records are retried: include FAILED or leave status out",
        "parameter": "status"}, status=400)

    result = run(worker, "retry", "--status", "PENDING")

    assert result.exit_code == 1
    assert "400: status: only FAILED records are retried" in result.output
    assert "(option --status)" in result.output


def test_a_viewer_token_is_told_it_needs_the_operator_role(worker: FakeWorker) -> None:
    worker.answer("POST", "/push-records/retry", {"error": "this needs the operator role"},
                  status=403)

    result = run(worker, "retry", "--id", "r1")

    assert result.exit_code == 1
    assert "Error: 403: this needs the operator role" in result.output
