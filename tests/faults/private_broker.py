"""A broker of a test's own, for faults that would disturb every other test on the shared one
(restarting it). The project's local KRaft broker, on free loopback ports, in a folder of the
test's, with the jars of the shared one."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from stocksync.local_kafka import LocalBroker

REPO = Path(__file__).resolve().parents[2]


def _free_port_pair() -> int:
    """A port p such that p and p + 1 (the controller's) are both free on loopback."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port < 65535 and _free(port + 1):
            return port
    raise RuntimeError("no two adjacent free ports on 127.0.0.1")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextmanager
def private_broker(home: Path) -> Iterator[LocalBroker]:
    """A running broker in `home`; stopped (and its folder left for post-mortems) on exit."""
    shared = LocalBroker(home=REPO / ".stocksync" / "kafka")
    shared.ensure_jars()  # Maven fetches them once, for both brokers
    broker = LocalBroker(home=home / "kafka", port=_free_port_pair(), lib=shared.lib_dir)
    broker.start(timeout_s=120)
    try:
        yield broker
    finally:
        broker.stop()
