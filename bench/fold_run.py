"""Worker-side measurements: how fast N workers fold a topic that is already full, and what a
worker holds afterwards (resident memory, bytes of state per SKU).

The rate is taken over the span in which every worker is serving and the assignment is stable
(no rebalance, every partition owned): start-up, recovery and rebalancing are not folding, and a
rate that included them would say more about faust's join protocol than about the fold.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stocksync.settings import Settings
from stocksync.worker_process import WorkerProcess

# What a worker counts for every stock-events message it has taken.
# (Control messages are not counted: the config relay adds some of its own at the start.)
_CONSUMED = ("applied", "rejected", "dead_lettered", "redelivered_skipped")
POLL_S = 0.25


def consumed(stats: dict[str, Any]) -> int:
    return sum(int(stats.get(name, 0)) for name in _CONSUMED)


@contextmanager
def running_workers(settings: Settings, count: int, label: str) -> Iterator[list[WorkerProcess]]:
    workers = []
    try:
        for n in range(count):
            worker = WorkerProcess.in_home(f"{label}-{n}", settings)
            worker.start()
            workers.append(worker)
        yield workers
    finally:
        for worker in workers:
            worker.stop()


@dataclass(frozen=True)
class CpuShares:
    """Cores used on average over a span of wall time: the whole machine's busy cores, and
    named processes' own."""

    machine: float
    processes: tuple[tuple[str, float], ...]


class CpuMeter:
    """Measures `CpuShares` from its creation to `stop()`."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._started = time.monotonic()
        self._machine = machine_busy_s()
        self._own = {name: process_cpu_s(pid) for name, pid in pids.items()}

    def stop(self) -> CpuShares:
        seconds = time.monotonic() - self._started
        machine = (machine_busy_s() - self._machine) / seconds
        return CpuShares(machine, tuple(
            (name, (process_cpu_s(pid) - self._own[name]) / seconds)
            for name, pid in self._pids.items()))


@dataclass(frozen=True)
class FoldRate:
    workers: int
    events: int  # folded within the measured span
    seconds: float
    total_seconds: float  # from the workers' start to the last message folded
    includes_startup: bool = False  # the span is the whole run (too few events to settle)
    cpu: CpuShares | None = None  # used within the span (the processes: the workers)
    shares: tuple[float, ...] = ()  # each worker's part of the events folded in the span

    @property
    def ratio_bound(self) -> float:
        """The most N workers could fold, in units of one worker's rate, with this split: the
        busiest worker folds its share at best at one worker's rate (partitions follow keys,
        and a hot SKU's events all go to one partition)."""
        return 1 / max(self.shares) if self.shares else float("nan")

    @property
    def machine_cores(self) -> float:
        """Cores the whole machine kept busy through the span, on average (broker included)."""
        return self.cpu.machine if self.cpu else float("nan")

    @property
    def worker_cores(self) -> float:
        """Cores the workers used through the span, on average, between them."""
        return sum(cores for _, cores in self.cpu.processes) if self.cpu else float("nan")

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def _stable(snapshots: list[dict[str, Any]], partitions: int) -> bool:
    """Every worker serving, and their partitions are disjoint and cover the topic."""
    owned: list[int] = []
    for stats in snapshots:
        if not stats.get("ready"):
            return False
        owned += stats.get("assigned_partitions", [])
    return sorted(owned) == list(range(partitions))


def _snapshot(workers: list[WorkerProcess]) -> list[dict[str, Any]] | None:
    try:
        return [worker.stats() for worker in workers]
    except OSError:
        return None  # not serving yet


def measure_fold(workers: list[WorkerProcess], settings: Settings, total: int,
                 timeout_s: float = 1800.0,
                 on_progress: Callable[[int], None] = lambda done: None) -> FoldRate:
    """Poll the workers until they have consumed `total` messages between them."""
    started = time.monotonic()
    deadline = started + timeout_s
    span_start: tuple[float, list[int], CpuMeter] | None = None
    while time.monotonic() < deadline:
        for worker in workers:
            if not worker.alive():
                raise RuntimeError(f"worker {worker.name} exited:\n{worker.log_tail()}")
        snapshots = _snapshot(workers)
        now = time.monotonic()
        if snapshots is not None:
            each = [consumed(stats) for stats in snapshots]
            done = sum(each)
            on_progress(done)
            stable = _stable(snapshots, settings.partitions)
            if span_start is None and stable:
                span_start = (now, each, CpuMeter(
                    {w.name: w.process.pid for w in workers if w.process is not None}))
            elif span_start is not None and not stable:
                span_start = None  # a rebalance: start the span again once it settles
            if done >= total:
                if span_start is None or done == sum(span_start[1]):
                    # Folded before the assignment was seen settled (a small topic): the span
                    # can only be the whole run, start-up included.
                    return FoldRate(len(workers), done, now - started, now - started,
                                    includes_startup=True)
                folded = [n - m for n, m in zip(each, span_start[1], strict=True)]
                return FoldRate(len(workers), sum(folded), now - span_start[0],
                                now - started, cpu=span_start[2].stop(),
                                shares=tuple(n / sum(folded) for n in folded))
        time.sleep(POLL_S)
    raise TimeoutError(f"the workers did not fold {total} messages within {timeout_s}s")


_TICKS_S = 1 / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """CPU seconds every core of the machine spent busy since boot (not idle, not iowait)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) * _TICKS_S


def process_cpu_s(pid: int) -> float:
    """A process's CPU seconds (user + system)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) * _TICKS_S  # utime, stime (fields 14, 15)


def resident_bytes(worker: WorkerProcess) -> int:
    """The worker process's resident set (VmRSS)."""
    assert worker.process is not None
    for line in Path(f"/proc/{worker.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc status")


def folder_bytes(path: Path) -> int:
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
