"""A broker of these tests' own with SASL and TLS listeners, never the shared one: the project's
local KRaft broker on other loopback ports (19192 and up), its home in a pytest folder, the jars
of the shared broker's home, a throwaway CA; stopped at the end of the session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stocksync.local_kafka import BrokerSecurity, LocalBroker
from stocksync.settings import Settings
from stocksync.worker_process import settings_env
from tests.security.tls import Certificates, make_certificates

REPO = Path(__file__).resolve().parents[2]
USER = "stocksync-svc"


@dataclass(frozen=True)
class SecureBroker:
    broker: LocalBroker
    certificates: Certificates
    password: str  # of USER, for PLAIN and both SCRAM mechanisms

    def settings(self, base: Settings, protocol: str, mechanism: str = "",
                 password: str | None = None) -> Settings:
        """`base` connecting to the listener of `protocol`, as USER with `mechanism`."""
        security = self.broker.security
        assert security is not None
        port = {"SASL_PLAINTEXT": security.sasl_plaintext_port,
                "SASL_SSL": security.sasl_ssl_port, "SSL": security.ssl_port}[protocol]
        sasl = protocol.startswith("SASL_")
        return base.with_overrides(
            kafka_bootstrap_servers=f"127.0.0.1:{port}", kafka_security_protocol=protocol,
            kafka_sasl_mechanism=mechanism if sasl else None,
            kafka_sasl_username=USER if sasl else None,
            kafka_sasl_password=(password or self.password) if sasl else None,
            kafka_ssl_cafile=str(self.certificates.ca) if "SSL" in protocol else None)


def _free_block(start: int, size: int) -> int:
    """The first port from `start` (in steps of 10) with `size` free ports after it."""
    for base in range(start, start + 1000, 10):
        if all(_free(port) for port in range(base, base + size)):
            return base
    raise RuntimeError(f"no {size} free loopback ports from {start}")


def _free(port: int) -> bool:
    """Nothing listens on `port` of 127.0.0.1."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="session")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureBroker]:
    home = tmp_path_factory.mktemp("secure-kafka")
    shared = LocalBroker(home=REPO / ".stocksync" / "kafka")
    shared.ensure_jars()  # Maven fetches them once, for every broker
    certificates = make_certificates(home / "certs")
    password = f"kafka-pw-{uuid.uuid4().hex[:16]}"
    base = _free_block(19192, 5)  # PLAINTEXT, controller, SASL_PLAINTEXT, SASL_SSL, SSL
    broker = LocalBroker(
        home=home / "kafka", port=base, heap="256m", lib=shared.lib_dir,
        security=BrokerSecurity(users=((USER, password),), sasl_plaintext_port=base + 2,
                                sasl_ssl_port=base + 3, ssl_port=base + 4,
                                keystore=certificates.broker_keystore))
    broker.start(timeout_s=120)
    try:
        yield SecureBroker(broker, certificates, password)
    finally:
        broker.stop()


@pytest.fixture
def secure_namespace(tmp_path: Path) -> Settings:
    """One test's topics, application and folder (PLAINTEXT until `SecureBroker.settings`)."""
    tag = uuid.uuid4().hex[:10]
    return Settings(topic_prefix=f"s{tag}.", app_id=f"stocksync-sec-{tag}", partitions=2,
                    home=tmp_path, log_format="json", batch_within_s=0.02)


def run_cli(settings: Settings, *args: str, stdin: str | None = None, timeout_s: float = 60,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`stocksync ARGS` in a process of its own whose environment gives `settings`."""
    return subprocess.run(
        [sys.executable, "-m", "stocksync", *args], input=stdin, capture_output=True, text=True,
        timeout=timeout_s, check=False,
        env={**os.environ, **settings_env(settings), **(env or {})})
