"""A marketplace store that stops answering for minutes while stock events keep flowing: what
the worker holds meanwhile (its resident memory, sampled from /proc), whether the other stores
keep getting their pushes and the fold keeps folding, and how long the waiting commands take to
drain once the store answers again.

    .venv/bin/python -m bench.slow_marketplace --minutes 10 [--rate 20] [--skus 40]
        [--healthy 4] [--mode hang|slow] [--output BENCHMARKS.md]

One rule pushes every SKU to every store under the same store SKU, so the stuck store's
commands share partitions with the healthy stores' (the worst case for holding uncommitted
commands). `--mode hang`: the store does not answer at all (POST /admin/pause); `--mode slow`:
it answers every push after `--delay-s` seconds; `--mode none`: it keeps answering (a control
run, for the worker's memory without a stuck store). Needs the local broker (`stocksync kafka
start`) or KAFKA_BOOTSTRAP_SERVERS.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import shlex
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from bench.namespace import bench_settings
from bench.report import replace_section
from stocksync.config_admin import ConfigWriter
from stocksync.domain.events import (
    MappingAction,
    MappingChanged,
    StockEvent,
    StockReceivedManually,
    StockRemovedManually,
)
from stocksync.domain.sync import ConnectorSettings, Store, SyncRule
from stocksync.kafka_security import client_options
from stocksync.publisher import StockEventPublisher
from stocksync.schemas.push_codec import decode_push_result, decode_sync_record
from stocksync.settings import Settings
from stocksync.topic_reader import iter_records
from stocksync.topics import CONFIG, PUSH_COMMANDS, PUSH_RESULTS
from stocksync.worker_process import MarketplaceProcess, WorkerProcess, eventually

BEGIN = "<!-- bench.slow_marketplace: begin (written by the command below; edits are overwritten) -->"
END = "<!-- bench.slow_marketplace: end -->"

SLOW = "SLOW"
START_QTY = 100
SAMPLE_S = 5.0
MIB = 1024 * 1024


@dataclass
class Run:
    """What one run measured."""

    args: argparse.Namespace
    events: int = 0  # published while the store was stuck
    stuck_s: float = 0.0
    folded: int = 0  # events the fold applied while the store was stuck
    healthy_pushes: int = 0  # pushes the healthy stores' marketplace accepted meanwhile
    waiting_commands: int = 0  # the stuck store's commands with no outcome when it came back
    lanes: dict = field(default_factory=dict)  # the worker's last push_lanes log line
    drain_s: float = 0.0
    outcomes: Counter = field(default_factory=Counter)  # the stuck store's, by status
    rss: list[tuple[float, int]] = field(default_factory=list)  # (s since stuck, bytes)
    rss_start: int = 0
    rss_end: int = 0

    @property
    def rss_peak(self) -> int:
        return max(rss for _, rss in self.rss)


def main(argv: Sequence[str] | None = None) -> Run:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the store is stuck")
    parser.add_argument("--rate", type=float, default=20.0, help="stock events per second")
    parser.add_argument("--skus", type=int, default=40)
    parser.add_argument("--healthy", type=int, default=4, help="stores that keep answering")
    parser.add_argument("--mode", choices=("hang", "slow", "none"), default="hang",
                        help="none: the store keeps answering (a control run)")
    parser.add_argument("--delay-s", type=float, default=10.0, help="--mode slow: the delay")
    parser.add_argument("--output", type=Path, default=None,
                        help="write the section into this file (BENCHMARKS.md)")
    args = parser.parse_args(argv)
    settings = bench_settings()
    home = settings.home
    marketplace = MarketplaceProcess(home / "marketplace.log", rate_limit=1000.0)
    marketplace.start()
    worker = WorkerProcess("bench", settings, log_path=home / "worker.log")
    run = Run(args)
    try:
        measure(run, settings, marketplace, worker)
    finally:
        worker.stop()
        marketplace.stop()
    section = render(run, _command(argv))
    print(section)
    if args.output is not None:
        replace_section(args.output, section, BEGIN, END)
    return run


def measure(run: Run, settings: Settings, marketplace: MarketplaceProcess,
            worker: WorkerProcess) -> None:
    args = run.args
    healthy = [f"OK-{n}" for n in range(1, args.healthy + 1)]
    stores = [SLOW, *healthy]
    skus = [f"SM-{n}" for n in range(args.skus)]
    writer = ConfigWriter(settings)
    for store_id in stores:
        writer.put_store(Store(store_id, f"{store_id} shop", "shopee", ConnectorSettings(
            "simulated", (("base_url", marketplace.url),), requests_per_second=50.0)))
    writer.put_rule(SyncRule("all", frozenset({"W"}), frozenset(stores)))
    worker.start()
    worker.wait_until_serving()
    _wait_for_config(settings, worker)
    stock = dict.fromkeys(skus, START_QTY)
    rng = random.Random(7)
    with StockEventPublisher(settings) as publisher:
        publisher.publish([MappingChanged(event_id=f"{sku}-m-{store_id}", merchant_sku=sku,
                                          warehouse_id="W", occurred_at=0, source="bench",
                                          store_id=store_id, store_sku=sku,
                                          action=MappingAction.ADD)
                           for sku in skus for store_id in stores]
                          + [StockReceivedManually(event_id=f"{sku}-in", merchant_sku=sku,
                                                   warehouse_id="W", occurred_at=0,
                                                   source="bench", qty=START_QTY)
                             for sku in skus])
        for store_id in stores:
            _wait_listings(marketplace, store_id, stock, what="the first pushes")
        run.rss_start = rss(worker)
        applied_before = worker.stats()["applied"]

        # The store stops answering; events keep flowing at a steady rate.
        if args.mode == "hang":
            marketplace.post("/admin/pause", {"store_id": SLOW})
        elif args.mode == "slow":
            marketplace.post("/admin/slow", {"store_id": SLOW, "delay_s": args.delay_s})
        started = time.monotonic()
        stuck_until = started + args.minutes * 60
        next_sample = started
        sent = 0
        while (now := time.monotonic()) < stuck_until:
            due = int((now - started) * args.rate) - sent
            if due > 0:
                publisher.publish([_event(rng, stock, sent + n) for n in range(due)])
                sent += due
            if now >= next_sample:
                run.rss.append((now - started, rss(worker)))
                next_sample += SAMPLE_S
                _progress(now - started, run, sent)
            time.sleep(0.05)
        run.stuck_s = time.monotonic() - started
        run.events = sent
    for store_id in healthy:
        _wait_listings(marketplace, store_id, stock, what="the healthy stores' last pushes")
    run.folded = worker.stats()["applied"] - applied_before
    ended = time.monotonic()
    run.healthy_pushes = sum(
        1 for store_id in healthy for request in marketplace.requests(store_id)
        if request["status"] == 200 and started <= request["at"] <= ended)
    run.waiting_commands = len(_without_outcome(settings))
    run.lanes = _last_lanes_line(worker.log_path)

    # The store answers again: until every command of it has an outcome and its listings show
    # the stock.
    if args.mode == "hang":
        marketplace.post("/admin/resume", {"store_id": SLOW})
    elif args.mode == "slow":
        marketplace.post("/admin/slow", {"store_id": SLOW, "delay_s": 0})
    resumed = time.monotonic()
    deadline = resumed + 900

    def drained() -> bool:
        return (marketplace.listings(SLOW) == stock and not _without_outcome(settings))

    while not drained():
        if time.monotonic() > deadline:
            raise AssertionError(f"the {SLOW} store did not drain within 900 s")
        run.rss.append((time.monotonic() - started, rss(worker)))
        time.sleep(1.0)
    run.drain_s = time.monotonic() - resumed
    run.rss.append((time.monotonic() - started, rss(worker)))
    run.rss_end = rss(worker)
    run.outcomes = _outcomes(settings)


def _event(rng: random.Random, stock: dict[str, int], n: int) -> StockEvent:
    sku = rng.choice(sorted(stock))
    fields = dict(event_id=f"{sku}-e{n}", merchant_sku=sku, warehouse_id="W",
                  occurred_at=n, source="bench", qty=1)
    if stock[sku] > START_QTY // 2 and rng.random() < 0.5:
        stock[sku] -= 1
        return StockRemovedManually(**fields)
    stock[sku] += 1
    return StockReceivedManually(**fields)


def rss(worker: WorkerProcess) -> int:
    """The worker's resident set (bytes), from /proc."""
    assert worker.process is not None
    status = Path(f"/proc/{worker.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024


def _wait_config_end(settings: Settings) -> int:
    consumer = KafkaConsumer(**client_options(settings))
    try:
        partition = TopicPartition(settings.topic(CONFIG.name), 0)
        return consumer.end_offsets([partition])[partition] - 1
    finally:
        consumer.close()


def _wait_for_config(settings: Settings, worker: WorkerProcess) -> None:
    latest = _wait_config_end(settings)

    def applied() -> bool | None:
        versions = worker.stats()["config_versions"]
        return True if (len(versions) == settings.partitions
                        and all(int(v) >= latest for v in versions.values())) else None

    eventually(applied, timeout_s=120, what="the configuration in every partition")


def _wait_listings(marketplace: MarketplaceProcess, store_id: str, stock: dict[str, int],
                   what: str) -> None:
    eventually(lambda: True if marketplace.listings(store_id) == stock else None,
               timeout_s=300, interval_s=1.0, what=f"{what} ({store_id})")


def _without_outcome(settings: Settings) -> set[str]:
    """The stuck store's commands that have no outcome on push-results yet."""
    commands = {record.record_id for record in (
        decode_sync_record(m.value)
        for m in iter_records(settings, settings.topic(PUSH_COMMANDS.name)))
        if record.store_id == SLOW}
    done = {result.record_id for result in _results(settings) if result.store_id == SLOW}
    return commands - done


def _results(settings: Settings) -> list:
    return [decode_push_result(m.value)
            for m in iter_records(settings, settings.topic(PUSH_RESULTS.name))]


def _outcomes(settings: Settings) -> Counter:
    latest = {r.record_id: r for r in _results(settings) if r.store_id == SLOW}
    return Counter(
        r.status.value if r.failure_code is None else f"{r.status.value} {r.failure_code.value}"
        for r in latest.values())


def _last_lanes_line(log_path: Path) -> dict:
    found: dict = {}
    with log_path.open(errors="replace") as log:
        for line in log:
            if '"push_lanes"' in line:
                try:
                    found = json.loads(line)
                except ValueError:
                    continue
    return found


def _progress(elapsed: float, run: Run, sent: int) -> None:
    if int(elapsed) % 60 < SAMPLE_S:
        print(f"{elapsed / 60:5.1f} min: {sent:,} events, worker RSS "
              f"{run.rss[-1][1] / MIB:,.0f} MiB", file=sys.stderr, flush=True)


def _command(argv: Sequence[str] | None) -> str:
    args = list(sys.argv[1:] if argv is None else argv)
    return " ".join([".venv/bin/python -m bench.slow_marketplace", *map(shlex.quote, args)])


def render(run: Run, command: str) -> str:
    args = run.args
    stuck = {"hang": "does not answer at all (`POST /admin/pause`)",
             "slow": f"answers every push after {args.delay_s:g} s (`POST /admin/slow`)",
             "none": "keeps answering (a control run: nothing is stuck)"}[args.mode]
    per_minute = [(t, r) for t, r in run.rss if t <= run.stuck_s]
    marks = [min(per_minute, key=lambda s, m=m: abs(s[0] - m * 60))
             for m in range(0, int(run.stuck_s // 60) + 1)] if per_minute else []
    lanes = run.lanes
    lines = [
        BEGIN,
        f"## A marketplace store that stops answering ({datetime.date.today().isoformat()}, "
        f"Python {platform.python_version()})",
        "",
        f"`{command}` (local broker running; {os.cpu_count()} cores, shared)",
        "",
        f"One worker; {args.skus} SKUs, each listed in {args.healthy + 1} stores under the same "
        f"store SKU by one rule. For {run.stuck_s / 60:.1f} minutes the store {SLOW} {stuck}, "
        f"while {run.events:,} stock events ({args.rate:g}/s) flow to every store; then it "
        f"answers again.",
        "",
        "| measure | result |",
        "| --- | --- |",
        f"| worker RSS before the store stopped (start) | {run.rss_start / MIB:,.0f} MiB |",
        f"| worker RSS, peak while stuck and draining ({len(run.rss)} samples) | "
        f"{run.rss_peak / MIB:,.0f} MiB |",
        f"| worker RSS after the drain (end) | {run.rss_end / MIB:,.0f} MiB |",
        "| worker RSS by minute while stuck | "
        + ", ".join(f"{t / 60:.0f}: {r / MIB:,.0f}" for t, r in marks) + " MiB |",
        f"| events folded while stuck | {run.folded:,} of {run.events:,} |",
        f"| pushes accepted by the {args.healthy} healthy stores while stuck | "
        f"{run.healthy_pushes:,} |",
        f"| {SLOW}'s commands with no outcome when it answered again (queued or in flight) | "
        f"{run.waiting_commands:,} |",
        "| the worker's last lanes report while stuck (held uncommitted, listings, "
        "waiting, superseded so far) | "
        + (f"{lanes.get('held', 0):,}, {lanes.get('listings', 0):,}, "
           f"{lanes.get('waiting', 0):,}, {lanes.get('superseded', 0):,}" if lanes
           else "0 (nothing held at any of its reports)") + " |",
        f"| drain: from answering again to every {SLOW} command's outcome logged and every "
        f"listing right | {run.drain_s:,.1f} s |",
        f"| {SLOW}'s outcomes (commands of the whole run) | "
        + ", ".join(f"{status} {count:,}" for status, count in sorted(run.outcomes.items()))
        + " |",
        END,
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
