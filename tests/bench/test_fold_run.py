"""The CPU accounting the fold phases report beside their rates."""

from __future__ import annotations

import math
import os
import time

from bench.fold_run import CpuShares, FoldRate, machine_busy_s, process_cpu_s


def test_a_busy_process_shows_in_its_own_and_the_machines_cpu_time() -> None:
    own, machine = process_cpu_s(os.getpid()), machine_busy_s()
    spin_until = time.process_time() + 0.3
    while time.process_time() < spin_until:  # bounded: 0.3 s of this process's CPU
        pass
    own_used, machine_used = process_cpu_s(os.getpid()) - own, machine_busy_s() - machine
    assert 0.25 <= own_used < 5
    assert machine_used >= own_used - 0.05  # the machine's busy time includes this process's


def test_the_split_of_the_events_bounds_what_more_workers_can_fold() -> None:
    rate = FoldRate(2, 1000, 1.0, 2.0, cpu=CpuShares(1.5, (("a", 0.9), ("b", 0.5))), shares=(0.625, 0.375))
    assert rate.ratio_bound == 1.6  # the busier worker's 62.5 % at one worker's rate at best
    assert (rate.machine_cores, rate.worker_cores) == (1.5, 1.4)
    assert math.isnan(FoldRate(1, 10, 1.0, 1.0, includes_startup=True).ratio_bound)
