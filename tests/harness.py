"""Test harness: the broker endpoint; worker processes and waits come from the package."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

from stocksync.worker_process import WorkerProcess, eventually, free_port, settings_env

__all__ = ["KafkaEndpoint", "WorkerProcess", "docker_engine_answers", "eventually", "free_port",
           "settings_env", "wait_for_kafka"]


@dataclass(frozen=True)
class KafkaEndpoint:
    bootstrap: str
    kind: str  # external | testcontainers | local


def docker_engine_answers() -> bool:
    """True when a Docker engine (not just the client) responds."""
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def wait_for_kafka(bootstrap: str, timeout_s: float) -> None:
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
            admin.list_topics()
            admin.close()
            return
        except (KafkaError, OSError, ValueError) as exc:
            last = exc
            time.sleep(0.5)
    raise RuntimeError(f"no Kafka broker answers at {bootstrap} within {timeout_s}s: {last}")
