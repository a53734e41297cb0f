"""The pipeline benchmark's section of BENCHMARKS.md: rendered from one run's results, and
replaced in place between its markers so earlier sections (and the history of tries) stay."""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path
from typing import Any

from bench.latency import Latencies

BEGIN = "<!-- bench.pipeline: begin (written by the command below; edits are overwritten) -->"
END = "<!-- bench.pipeline: end -->"

MIB = 1024 * 1024


def render(results: Any, command: str) -> str:
    r = results
    shape = r.shape
    lines = [
        BEGIN,
        f"## The pipeline ({datetime.date.today().isoformat()}, Python {platform.python_version()})",
        "",
        f"`{command}` (local broker running)",
        "",
        f"{shape.skus:,} merchant SKUs (Zipf s={shape.zipf_s}), {shape.warehouses} warehouses, "
        f"{shape.stores} stores, {shape.rules} rules; {r.messages:,} messages on stock-events "
        f"(setup: mappings and first stock; then the shop's mix with bursts).",
        "",
        "| measure | result |",
        "| --- | --- |",
        f"| bare aiokafka consumer, read + Avro decode (the ceiling) | {r.ceiling:,.0f} events/s |",
        f"| stocksync fold, 1 worker | {r.one.per_second:,.0f} events/s "
        f"({r.one.per_second / r.ceiling:.0%} of the ceiling; {r.one.events:,} events in "
        f"{r.one.seconds:.1f} s{', start-up included' if r.one.includes_startup else ''}; "
        f"{_cores(r.one)}) |",
        f"| the same fold in-process, without Kafka or faust (`bench.fold_floor`: decode, fold, "
        f"push decision, encoding, RocksDB; outputs dropped) | {r.floor.per_second:,.0f} events/s "
        f"({r.floor.seconds / r.floor.events * 1e6:,.0f} µs an event; the 1-worker fold is "
        f"{r.one.per_second / r.floor.per_second:.0%} of it) |",
    ]
    if r.two is not None:
        split = ""
        if r.two.shares:
            split = (f"; the workers folded {' / '.join(f'{s:.0%}' for s in r.two.shares)} of "
                     f"the events, so at most {r.two.ratio_bound:.2f}× with that split")
        lines.append(f"| stocksync fold, 2 workers | {r.two.per_second:,.0f} events/s "
                     f"({r.two.per_second / r.one.per_second:.2f}× one worker; "
                     f"{_cores(r.two)}{split}) |")
    lines += latency_rows(r.latency.latencies, r.latency_rate)
    lines += [cpu_row(r.latency.cpu), batches_row(r.latency.batches)]
    lines += [
        f"| worker resident memory, half-way / end of the 1-worker fold | "
        f"{r.rss_half / MIB:,.0f} MiB / {r.rss_end / MIB:,.0f} MiB |",
        f"| stock state per SKU (latest changelog value) | {r.stock_bytes_per_sku:,.0f} bytes |",
        f"| worker's RocksDB folder per SKU (all tables, event ids included) | "
        f"{r.disk_bytes_per_sku:,.0f} bytes |",
    ]
    if r.latency.latencies.unresolved:
        lines.append(f"| records whose push was not found | {r.latency.latencies.unresolved:,} |")
    lines.append(END)
    return "\n".join(lines)


def _cores(rate: Any) -> str:
    """What the fold's span used of the machine (the broker and the bench take the rest)."""
    if rate.cpu is None:
        return "CPU not measured: the span was the whole run"
    return (f"the machine's {os.cpu_count()} cores {rate.machine_cores:.2f} busy, "
            f"the workers {rate.worker_cores:.2f} of them")


def cpu_row(cpu: Any) -> str:
    """What the paced traffic had of the machine: contention shows here."""
    own = ", ".join(f"{name} {cores:.2f}" for name, cores in cpu.processes)
    return (f"| CPU through the paced traffic (cores, on average) | the machine's "
            f"{os.cpu_count()} cores {cpu.machine:.2f} busy: {own} |")


def batches_row(b: Any) -> str:
    """The fold worker's time through the paced traffic, by what its batches did."""
    idle = b.seconds - b.fold_s - b.send_s - b.write_s
    return (f"| the fold worker's batches, from the paced traffic's start until folded "
            f"({b.seconds:.1f} s) | {b.batches:,} batches: folding {b.fold_s:.1f} s, waiting "
            f"for the outputs' acks {b.send_s:.1f} s, writing the states {b.write_s:.1f} s, "
            f"between batches {idle:.1f} s |")


def latency_rows(lat: Latencies, rate: float, chosen: str = "half the 1-worker rate"
                 ) -> list[str]:
    rows = [
        f"| event → push command, at {rate:,.0f} events/s ({chosen}; a fold "
        f"worker, and the push agent and history in an app of their own) | "
        f"p50 {lat.to_command.p50:,.0f} ms, p95 {lat.to_command.p95:,.0f} ms, "
        f"p99 {lat.to_command.p99:,.0f} ms (max {lat.to_command.max:,.0f}; "
        f"{lat.to_command.count:,} records) |"]
    after = lat.window_end_to_command
    if after is not None:
        rows.append(f"| of which after the window's end (the fold's part; the window's length "
                    f"is the rest) | p50 {after.p50:,.0f} ms, p95 {after.p95:,.0f} ms, "
                    f"p99 {after.p99:,.0f} ms ({after.count:,} commands) |")
    rows.append(f"| event → marketplace updated | p50 {lat.to_marketplace.p50:,.0f} ms, "
                f"p95 {lat.to_marketplace.p95:,.0f} ms, p99 {lat.to_marketplace.p99:,.0f} ms |")
    return rows


def replace_section(path: Path, section: str, begin: str = BEGIN, end: str = END) -> None:
    """Put `section` where the previous one (between `begin` and `end`) was, or at the end."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
