"""Reading the history API the way an operator's tool does: every page, retried while the workers
rebalance (503)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from kafka import KafkaProducer

from stocksync.domain.sync import SyncRecord
from stocksync.kafka_security import client_options
from stocksync.schemas.push_codec import encode_sync_record
from stocksync.settings import Settings
from stocksync.streams.fold_io import partition_of
from stocksync.topics import SYNC_RECORDS
from tests.harness import WorkerProcess


class Rebalancing(Exception):
    pass


def every_page(worker: WorkerProcess, path: str, params: dict[str, str], items: str,
               limit: int = 7) -> list[dict[str, Any]] | None:
    """All items of a paged GET, following next_cursor; None while the workers answer 503."""
    found: list[dict[str, Any]] = []
    cursor = None
    for _ in range(10_000):
        query = {**params, "limit": str(limit), **({"cursor": cursor} if cursor else {})}
        status, body = worker.get(f"{path}?{urllib.parse.urlencode(query)}", timeout_s=30)
        if status == 503:
            return None
        assert status == 200, (status, body)
        assert len(body[items]) <= limit
        found += body[items]
        cursor = body["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("paging did not end")


def answered(worker: WorkerProcess, path: str) -> tuple[int, Any] | None:
    """(status, body) of a GET; None while the workers answer 503."""
    status, body = worker.get(path, timeout_s=30)
    return None if status == 503 else (status, body)


def produce_records(settings: Settings, messages: list[SyncRecord]) -> None:
    """Writes sync records as the fold and the push agent do: keyed by record id, on the
    merchant SKU's partition, in the order given."""
    producer = KafkaProducer(**client_options(settings), acks="all")
    try:
        for record in messages:
            producer.send(settings.topic(SYNC_RECORDS.name), key=record.record_id.encode(),
                          value=encode_sync_record(record),
                          partition=partition_of(record.merchant_sku.encode(),
                                                 settings.partitions))
        producer.flush(timeout=30)
    finally:
        producer.close()


def quoted(*parts: str) -> str:
    return "/".join(urllib.parse.quote(part, safe="") for part in parts)
