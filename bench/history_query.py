"""How fast the sync history is projected and queried: N generated records written to
`sync-records` (as the pipeline writes them: keyed by id, on the merchant SKU's partition), the
time one worker takes to project them all, then the latency of the operators' queries.

    .venv/bin/python -m bench.history_query [--records 50000] [--repeat 20]

Needs the local broker (`stocksync kafka start`) or KAFKA_BOOTSTRAP_SERVERS.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import replace

from kafka import KafkaProducer

from stocksync.domain.events import Reason
from stocksync.domain.sync import Cause, FailureCode, SyncRecord, SyncStatus
from stocksync.kafka_security import client_options
from stocksync.schemas.push_codec import encode_sync_record
from bench.namespace import bench_settings
from stocksync.settings import Settings
from stocksync.streams.fold_io import partition_of
from stocksync.topics import SYNC_RECORDS
from stocksync.worker_process import WorkerProcess, eventually

SKUS, STORES, FAILED_SHARE = 2000, 5, 0.02


def generated(n: int, now_ms: int, rng: random.Random) -> list[SyncRecord]:
    """n records over the last 30 days, 2 % FAILED, spread over SKUs x stores."""
    span = 30 * 24 * 3600 * 1000 - 3600_000
    records = []
    for i in range(n):
        sku, store = f"SKU-{rng.randrange(SKUS):05d}", f"S{rng.randrange(STORES)}"
        failed = rng.random() < FAILED_SHARE
        records.append(SyncRecord(
            record_id=f"{i:012x}", sync_time=now_ms - span + i * span // n,
            log_time=now_ms - span + i * span // n, marketplace="shopee", store_id=store,
            store_nickname=f"{store} shop", store_sku=f"{sku}-{store}", merchant_sku=sku,
            warehouse_id="W1", before_qty=5, movement=-1, after_qty=4, rule_name="main",
            reason=Reason.SYNC_ORDER, cause=Cause(f"e{i}", "stock-events", 0, i),
            status=SyncStatus.FAILED if failed else SyncStatus.SUCCESSFULLY,
            failure_code=FailureCode.AUTH_EXPIRED if failed else None,
            failure_message="token expired" if failed else None))
    return records


def produce(settings: Settings, records: list[SyncRecord]) -> None:
    producer = KafkaProducer(**client_options(settings), acks=1,
                             linger_ms=20, batch_size=256 * 1024)
    for r in records:
        producer.send(settings.topic(SYNC_RECORDS.name), key=r.record_id.encode(),
                      value=encode_sync_record(r),
                      partition=partition_of(r.merchant_sku.encode(), settings.partitions))
    producer.flush(timeout=120)
    producer.close()


def timed(call: Callable[[], tuple[int, object]], repeat: int) -> str:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, body = call()
        times.append((time.perf_counter() - started) * 1000)
        assert status == 200, (status, body)
    times.sort()
    return (f"p50 {statistics.median(times):.1f} ms, p95 "
            f"{times[int(0.95 * (len(times) - 1))]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    settings = bench_settings()
    home = settings.home
    records = generated(args.records, int(time.time() * 1000), random.Random(1))
    # Half of the records get a second message (PENDING first, the outcome later), as pushes do.
    messages = [replace(r, status=SyncStatus.PENDING, failure_code=None, failure_message=None)
                for r in records[::2]] + records
    produce(settings, messages)
    worker = WorkerProcess("bench", settings, log_path=home / "worker.log")
    worker.start()
    try:
        worker.wait_until_serving()
        started = time.perf_counter()
        eventually(lambda: True if worker.get("/sync-records?limit=1", timeout_s=60)[1].get(
            "records", [{}])[0].get("record_id") == records[-1].record_id else None,
            timeout_s=3600, interval_s=0.5, what="the projection")
        # The newest record is in; the last partitions may still be catching up.
        eventually(lambda: True if _failed_count(worker) == sum(
            r.status is SyncStatus.FAILED for r in records) else None, timeout_s=3600,
            interval_s=1, what="every record")
        projected_s = time.perf_counter() - started
        some = random.Random(2).choice(records)
        print(f"{len(records)} records ({len(messages)} messages), {settings.partitions} "
              f"partitions, 1 worker: projected in {projected_s:.1f} s "
              f"({len(messages) / projected_s:.0f} messages/s, including start-up of the scan)")
        queries = {
            "latest page (limit 50)": "/sync-records?limit=50",
            "FAILED, 2 % of records (limit 50)": "/sync-records?status=FAILED&limit=50",
            "one merchant SKU (limit 50)": f"/sync-records?merchant_sku={some.merchant_sku}"
                                          "&limit=50",
            "record by id": f"/sync-records/{some.record_id}",
            "Push Record page": "/push-records/" + "/".join(
                urllib.parse.quote(p, safe="") for p in (some.store_id, some.store_sku)),
            "Sync Recording list (limit 50)": "/sync-recording?limit=50",
        }
        for name, path in queries.items():
            print(f"  {name}: {timed(lambda p=path: worker.get(p, timeout_s=120), args.repeat)}")
    finally:
        worker.stop()


def _failed_count(worker: WorkerProcess) -> int:
    count, cursor = 0, None
    while True:
        query = "status=FAILED&limit=1000" + (f"&cursor={cursor}" if cursor else "")
        status, body = worker.get(f"/sync-records?{query}", timeout_s=120)
        if status != 200:
            return -1
        count += len(body["records"])
        cursor = body["next_cursor"]
        if cursor is None:
            return count


if __name__ == "__main__":
    main()
