"""How promptly an idle partition closes a dedup window: the time from a window's end to the push
command it releases, measured on the timestamps Kafka stored (the trigger's LogAppendTime gives
the window's end; the command's timestamp is when the worker emitted it).

    .venv/bin/python -m bench.window_close [--triggers 30]

Needs the local broker (`stocksync kafka start`) or KAFKA_BOOTSTRAP_SERVERS.
"""

from __future__ import annotations

import argparse
import statistics
import time

from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import MappingAction, MappingChanged, StockReceivedManually
from stocksync.domain.sync import ConnectorSettings, Store, SyncRule
from stocksync.publisher import StockEventPublisher
from stocksync.schemas.push_codec import decode_sync_record
from bench.namespace import bench_settings
from stocksync.settings import Settings
from stocksync.topic_reader import read_to_end
from stocksync.topics import PUSH_COMMANDS
from stocksync.worker_process import MarketplaceProcess, WorkerProcess, eventually


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triggers", type=int, default=30)
    args = parser.parse_args()
    settings = bench_settings()
    home = settings.home
    marketplace = MarketplaceProcess(home / "marketplace.log", rate_limit=1000.0)
    marketplace.start()
    worker = WorkerProcess("bench", settings, log_path=home / "worker.log")
    try:
        ConfigWriter(settings).put_store(Store("S1", "Shop", "shopee", ConnectorSettings(
            "simulated", (("base_url", marketplace.url),), requests_per_second=100.0)))
        ConfigWriter(settings).put_rule(SyncRule("all", frozenset({"W"}), frozenset({"S1"})))
        worker.start()
        worker.wait_until_serving()
        lags = measure(settings, worker, args.triggers)
    finally:
        worker.stop()
        marketplace.stop()
    lags.sort()
    print(f"window {settings.window_ms} ms, grace {settings.window_grace_ms} ms, "
          f"{len(lags)} idle windows: window end -> push command emitted: "
          f"p50 {statistics.median(lags):.0f} ms, p95 {lags[int(0.95 * (len(lags) - 1))]:.0f} ms, "
          f"max {lags[-1]:.0f} ms")


def measure(settings: Settings, worker: WorkerProcess, triggers: int) -> list[float]:
    skus = [f"B-{i}" for i in range(triggers)]
    with StockEventPublisher(settings) as publisher:
        publisher.publish([MappingChanged(event_id=f"{sku}-m", merchant_sku=sku,
                                          warehouse_id="W", occurred_at=0, source="bench",
                                          store_id="S1", store_sku=sku,
                                          action=MappingAction.ADD) for sku in skus])
        eventually(lambda: True if worker.stats()["records_pushed"] >= triggers else None,
                   timeout_s=120, what="the mappings' pushes")
        # One trigger at a time, each into an idle partition, at a random point of a window.
        for n, sku in enumerate(skus):
            publisher.publish([StockReceivedManually(event_id=f"{sku}-in", merchant_sku=sku,
                                                     warehouse_id="W", occurred_at=n,
                                                     source="bench", qty=1)])
            time.sleep(settings.window_ms / 1000 * 1.5)
    eventually(lambda: True if worker.stats()["records_pushed"] >= 2 * triggers else None,
               timeout_s=120, what="the triggers' pushes")
    lags = []
    for message in read_to_end(settings, settings.topic(PUSH_COMMANDS.name)):
        record = decode_sync_record(message.value)
        if not record.cause.event_id.endswith("-in"):
            continue
        window_end = record.log_time - record.log_time % settings.window_ms + settings.window_ms
        lags.append(message.timestamp - window_end)
    return lags


if __name__ == "__main__":
    main()
