"""The worker's JSON for the CLI tests: sync records and sync-log entries as the API serves them,
a way to run the CLI against a fake worker, and a reader of the tables it prints."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from click.testing import CliRunner, Result

from stocksync.cli import main
from tests.cli.fake_worker import FakeWorker

ZONE = "Asia/Jakarta"  # +07:00, no daylight saving time
TOKEN = "viewer-token"


def epoch_ms(iso_utc: str) -> int:
    return int(datetime.fromisoformat(iso_utc).replace(tzinfo=UTC).timestamp() * 1000)


def sync_record(record_id: str, **fields: Any) -> dict[str, Any]:
    """A record of `GET /sync-records` with every field, FAILED by default."""
    return {
        "record_id": record_id, "sync_time": epoch_ms("2024-05-01T02:00:00"),
        "log_time": epoch_ms("2024-05-01T02:00:01"), "marketplace": "shopee",
        "store_id": "S1", "store_nickname": "Shopee Main", "store_sku": "SHP-A",
        "merchant_sku": "A", "title": "Kopi 200g", "warehouse_id": "WH-1", "before_qty": 10,
        "movement": -2, "after_qty": 8, "rule_name": "main", "reason": "STOCK_OUT_SALE",
        "cause_event_id": "e-1", "cause_topic": "stock-events", "cause_partition": 3,
        "cause_offset": 42, "status": "FAILED", "superseded_by": None,
        "failure_code": "AUTH_EXPIRED", "failure_message": "token expired", **fields,
    }


def log_entry(record_id: str, **fields: Any) -> dict[str, Any]:
    """An entry of `GET /sync-logs`, a FAILED order by default."""
    return {
        "record_id": record_id, "kind": "ORDER", "subject_id": "SO-1", "store_id": "S1",
        "marketplace": "shopee", "status": "FAILED",
        "occurred_at": epoch_ms("2024-05-01T02:00:00"),
        "log_time": epoch_ms("2024-05-01T02:00:01"), "attempt": 1,
        "failure_code": "TIMEOUT", "failure_message": "no answer in 30 s",
        "details": {"source": "shopee", "total": "120000"}, **fields,
    }


def run(worker: FakeWorker, *args: str) -> Result:
    """`stocksync ARGS --url <the fake worker>` with a token and the test zone."""
    return CliRunner().invoke(main, [*args, "--url", worker.url],
                              env={"STOCKSYNC_TIME_ZONE": ZONE, "STOCKSYNC_API_TOKEN": TOKEN})


def tables(text: str) -> list[list[tuple[str, ...]]]:
    """Each printed table as its header's cells, then each row's (columns are separated by at
    least two spaces, and no cell holds two)."""
    lines = text.splitlines()
    found = []
    for n, line in enumerate(lines):
        if n == 0 or not re.fullmatch(r"-[- ]*", line):
            continue
        table = [_cells(lines[n - 1])]
        for row in lines[n + 1:]:
            if not row.strip():
                break
            table.append(_cells(row))
        found.append(table)
    return found


def _cells(line: str) -> tuple[str, ...]:
    return tuple(re.split(r"\s{2,}", line.strip()))
