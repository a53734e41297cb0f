"""The CPU accounting the fold phases report beside their rates."""

from __future__ import annotations

import os
import time

from bench.fold_run import machine_busy_s, process_cpu_s


def test_a_busy_process_shows_in_its_own_and_the_machines_cpu_time() -> None:
    own, machine = process_cpu_s(os.getpid()), machine_busy_s()
    spin_until = time.process_time() + 0.3
    while time.process_time() < spin_until:  # bounded: 0.3 s of this process's CPU
        pass
    own_used, machine_used = process_cpu_s(os.getpid()) - own, machine_busy_s() - machine
    assert 0.25 <= own_used < 5
    assert machine_used >= own_used - 0.05  # the machine's busy time includes this process's
