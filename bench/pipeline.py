"""The pipeline benchmark (issue 5): one command, against the local broker, that generates a
shop's load, publishes it and reports the bare-consumer ceiling, the fold rate of one and of two
workers, end-to-end latency at half the measured maximum, and a worker's memory and state.

    .venv/bin/python -m bench.pipeline                      # 10,000 SKUs, writes BENCHMARKS.md
    .venv/bin/python -m bench.pipeline --skus 200 --events 3000 --latency-s 5 --output -

Every phase runs in a namespace of its own (topics, application id, state folder), so each
worker starts from empty state and reads the same published bytes.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from stocksync.config_admin import ConfigWriter
from stocksync.schemas.codec import default_codec
from stocksync.schemas.push_codec import ConfigSnapshot, encode_control
from stocksync.settings import Settings
from stocksync.topic_reader import read_to_end
from stocksync.topics import CONFIG, PUSH_COMMANDS, PUSH_RESULTS, STOCK_EVENTS
from stocksync.worker_process import MarketplaceProcess, WorkerProcess, eventually

from bench import report
from bench.fold_floor import FloorRate, measure_floor
from bench.fold_run import (
    CpuMeter,
    CpuShares,
    FoldRate,
    consumed,
    folder_bytes,
    measure_fold,
    resident_bytes,
    running_workers,
)
from bench.kafka_io import (
    Message,
    encode,
    bare_read_rate,
    message_counts,
    publish,
    publish_controls,
    publish_paced,
)
from bench.latency import Latencies, measure_latencies
from bench.namespace import bench_settings, drop_namespace
from bench.state_size import stock_value_bytes
from bench.workload import WorkloadShape, setup_events, stores_and_rules, traffic

# The simulated marketplace must not be the bottleneck: the benchmark measures stocksync.
MARKETPLACE_RATE = 100_000.0


@dataclass(frozen=True)
class Results:
    shape: WorkloadShape
    messages: int
    ceiling: float
    floor: FloorRate
    one: FoldRate
    two: FoldRate | None
    latency_rate: float
    latency: LatencyRun
    rss_half: int
    rss_end: int
    stock_bytes_per_sku: float
    disk_bytes_per_sku: float


def prepared_namespace(shape: WorkloadShape, marketplace_url: str) -> Settings:
    """A namespace whose config topic holds the workload's stores and rules, and whose every
    stock-events partition starts with their snapshot, as the config relay would write it."""
    settings = bench_settings(refresh_interval_s=24 * 3600.0)
    stores, rules = stores_and_rules(shape, marketplace_url, MARKETPLACE_RATE)
    writer = ConfigWriter(settings)
    for store in stores:
        writer.put_store(store)
    for rule in rules:
        writer.put_rule(rule)
    version = max(m.offset for m in read_to_end(settings, settings.topic(CONFIG.name)))
    snapshot = ConfigSnapshot(control_id=f"config-{version}", version=version,
                              stores=tuple(stores), rules=tuple(rules))
    publish_controls(settings, settings.topic(STOCK_EVENTS.name),
                     encode_control(snapshot), settings.partitions)
    return settings


@dataclass(frozen=True)
class FoldPhase:
    rate: FoldRate
    rss_half: int  # the first worker's resident memory when half the messages were folded
    rss_end: int
    data_dir: Path  # the first worker's state folder


def fold_phase(settings: Settings, workers: int, messages: list[Message],
               label: str) -> FoldPhase:
    """Publish, then fold with `workers` workers that run the fold alone (the push agent and
    the history projections are other processes in a deployment that scales the fold; here
    they would only take the CPU the fold is measured on). Also the first worker's memory."""
    settings = settings.with_overrides(agents="fold")
    topic = settings.topic(STOCK_EVENTS.name)
    publish(settings, topic, messages)
    with running_workers(settings, workers, label) as started:
        rss_half: list[int] = []

        def at_half(done: int) -> None:
            if not rss_half and done >= len(messages) // 2:
                rss_half.append(resident_bytes(started[0]))
        rate = measure_fold(started, settings, len(messages), on_progress=at_half)
        rss_end = resident_bytes(started[0])
        return FoldPhase(rate, rss_half[0] if rss_half else rss_end, rss_end,
                         started[0].settings.worker_data_dir)


def latency_phase(shape: WorkloadShape, marketplace_url: str, rate: float, seconds: float,
                  setup: list[Message]) -> LatencyRun:
    """Paced traffic through the whole pipeline, deployed as a fold that scales apart: one
    worker folds (`STOCKSYNC_AGENTS=fold`), another application (its own app id, so its own
    consumer group) runs the push agent and the history projections. On one worker they
    would share one core, and the push agent's HTTP calls would hold the fold back."""
    settings = prepared_namespace(shape, marketplace_url)
    paced_events = list(traffic(shape, max(1, int(rate * seconds)), start_ms=10**9))
    paced = encode(paced_events)
    topic = settings.topic(STOCK_EVENTS.name)
    publish(settings, topic, setup)
    folding = settings.with_overrides(agents="fold")
    pushing = settings.with_overrides(app_id=f"{settings.app_id}-push", agents="push,history")
    with running_workers(folding, 1, "latency-fold") as (worker,), \
            running_workers(pushing, 1, "latency-push") as (pusher,):
        worker.wait_until_serving(timeout_s=300)
        pusher.wait_until_serving(timeout_s=300)
        eventually(lambda: True if consumed(worker.stats()) >= len(setup) else None,
                   timeout_s=1800, interval_s=0.5, what="the setup events to be folded")
        # The setup's pushes (every listing once) are answered before the paced traffic
        # starts: the latency is measured at the offered rate, not behind that backlog.
        eventually(lambda: True if worker.stats()["open_windows"] == 0 else None,
                   timeout_s=300, interval_s=0.5, what="the setup's windows to close")
        _wait_pushes_answered(settings, pusher)
        assert worker.process is not None and pusher.process is not None
        meter = CpuMeter({"the fold worker": worker.process.pid,
                          "the push application": pusher.process.pid,
                          "the benchmark (publisher)": os.getpid()})
        before, started = worker.stats(), time.monotonic()
        publish_paced(settings, topic, paced, rate)
        cpu = meter.stop()
        total = len(setup) + len(paced)
        eventually(lambda: True if consumed(worker.stats()) >= total else None,
                   timeout_s=1800, interval_s=0.5, what="the paced events to be folded")
        after = worker.stats()
        batches = FoldBatches(
            time.monotonic() - started, after["batches"] - before["batches"],
            *(after[name] - before[name] for name in ("fold_s", "send_s", "write_s")))
        _wait_pushes_answered(settings, pusher)
    latencies = measure_latencies(settings, {event.event_id for event in paced_events})
    drop_namespace(settings)
    return LatencyRun(latencies, cpu, batches)


@dataclass(frozen=True)
class FoldBatches:
    """The fold worker's batches from the paced traffic's start until it had folded it all
    (seconds, from its /stats): where a fold that falls behind spends its time."""

    seconds: float  # wall time
    batches: int
    fold_s: float
    send_s: float  # waiting for the broker to acknowledge the batches' outputs
    write_s: float  # the states' changelog rows (acknowledged) and RocksDB


@dataclass(frozen=True)
class LatencyRun:
    latencies: Latencies
    cpu: CpuShares  # through the paced traffic
    batches: FoldBatches


def _wait_pushes_answered(settings: Settings, worker: WorkerProcess,
                          timeout_s: float = 900.0) -> None:
    """Until the last windows have closed and every push command has its push result."""
    time.sleep((settings.window_ms + settings.window_grace_ms) / 1000 + 0.5)
    commands = settings.topic(PUSH_COMMANDS.name)
    results = settings.topic(PUSH_RESULTS.name)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not worker.alive():
            raise RuntimeError(f"worker {worker.name} exited:\n{worker.log_tail()}")
        ends = message_counts(settings, [commands, results])
        if ends[results] >= ends[commands]:
            return
        time.sleep(0.5)
    raise TimeoutError("the push agent did not answer every push command in time")


def run(args: argparse.Namespace) -> Results:
    shape = WorkloadShape(skus=args.skus, seed=args.seed)
    setup = encode(setup_events(shape))
    messages = setup + encode(list(traffic(shape, args.events, start_ms=10**6)))
    floor = measure_floor(shape, messages)
    print(f"stocksync's code alone, in-process: {floor.per_second:,.0f}/s", file=sys.stderr)
    marketplace = _marketplace()
    # The fold phases' topics are dropped at the end: the broker deletes a dropped topic's
    # files a minute later, which would fall on the latency run. (Slow latency runs came both
    # before and after this change: BENCHMARKS.md, fifth round.)
    dropped: list[Settings] = []
    try:
        one_ns = prepared_namespace(shape, marketplace.url)
        dropped.append(one_ns)
        topic = one_ns.topic(STOCK_EVENTS.name)
        print(f"publishing {len(messages)} messages ...", file=sys.stderr)
        phase = fold_phase(one_ns, 1, messages, "one")
        one = phase.rate
        ceiling = bare_read_rate(one_ns, topic, default_codec())
        print(f"ceiling {ceiling.per_second:,.0f}/s, one worker {one.per_second:,.0f}/s",
              file=sys.stderr)
        stock_bytes = stock_value_bytes(one_ns)
        disk = folder_bytes(phase.data_dir) / max(1, shape.skus)
        two = None
        if not args.skip_two:
            two_ns = prepared_namespace(shape, marketplace.url)
            dropped.append(two_ns)
            two = fold_phase(two_ns, 2, messages, "two").rate
            print(f"two workers {two.per_second:,.0f}/s", file=sys.stderr)
        offered = one.per_second / 2
        latency = latency_phase(shape, marketplace.url, offered, args.latency_s, setup)
    finally:
        marketplace.stop()
        for namespace in dropped:
            drop_namespace(namespace)
    return Results(shape, len(messages), ceiling.per_second, floor, one, two, offered, latency,
                   phase.rss_half, phase.rss_end, stock_bytes, disk)


def _marketplace() -> MarketplaceProcess:
    """The simulated marketplace every store of the workload pushes to, started."""
    marketplace = MarketplaceProcess(Path(f"/tmp/stocksync-bench-marketplace-{time.time_ns()}.log"),
                                     rate_limit=MARKETPLACE_RATE)
    marketplace.start()
    return marketplace


def latency_only(args: argparse.Namespace) -> list[str]:
    """The latency run alone, at a rate of the caller's choosing: to study the latency
    without the fold phases before it."""
    shape = WorkloadShape(skus=args.skus, seed=args.seed)
    marketplace = _marketplace()
    try:
        latency = latency_phase(shape, marketplace.url, args.latency_only, args.latency_s,
                                encode(setup_events(shape)))
    finally:
        marketplace.stop()
    return ["| measure | result |", "| --- | --- |",
            *report.latency_rows(latency.latencies, args.latency_only, "chosen"),
            report.cpu_row(latency.cpu), report.batches_row(latency.batches)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200_000,
                        help="traffic events after the setup (mappings, first stock)")
    parser.add_argument("--latency-s", type=float, default=30.0,
                        help="seconds of paced traffic for the latency run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-two", action="store_true", help="no 2-worker run")
    parser.add_argument("--output", default="BENCHMARKS.md",
                        help="the file whose pipeline section is replaced; '-' prints it")
    parser.add_argument("--latency-only", type=float, metavar="RATE",
                        help="only the latency run, at RATE events/s; printed, not written")
    args = parser.parse_args(argv)
    if args.latency_only:
        print("\n".join(latency_only(args)))
        return
    results = run(args)
    command = ".venv/bin/python -m bench.pipeline " + shlex.join(sys.argv[1:] if argv is None
                                                                 else argv)
    section = report.render(results, command.strip())
    if args.output == "-":
        print(section)
    else:
        report.replace_section(Path(args.output), section)
        print(section)


if __name__ == "__main__":
    # A SIGTERM (`timeout`, a CI job's end) unwinds like Ctrl-C, so the workers and the
    # marketplace are stopped; killed outright they outlived the run and loaded the next one.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    main()
