"""Every Kafka client over SASL and TLS, against a broker of the tests' own: a worker folds events
the project's publisher sent and serves the stock; the CLI tools publish, create topics, read the
stock as of now and export; a wrong password or an untrusted certificate fails at once, clearly."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from stocksync.domain.events import StockReceivedManually, StockRemovedManually
from stocksync.publisher import StockEventPublisher
from stocksync.settings import Settings
from stocksync.topic_admin import create_topics
from tests.harness import WorkerProcess, eventually
from tests.security.test_api_exposure import listening_addresses
from tests.security.conftest import SecureBroker, run_cli

pytestmark = pytest.mark.kafka

T0 = 1_767_225_600_000


@pytest.mark.parametrize(("protocol", "mechanism"), [("SASL_PLAINTEXT", "SCRAM-SHA-256"),
                                                     ("SASL_SSL", "SCRAM-SHA-512")])
def test_a_worker_over_sasl_folds_published_events_and_serves_stock(
        secure_broker: SecureBroker, secure_namespace: Settings, protocol: str,
        mechanism: str) -> None:
    """faust, aiokafka (the config follower) and kafka-python (topics, publisher) all log in."""
    settings = secure_broker.settings(secure_namespace, protocol, mechanism)
    create_topics(settings)
    worker = WorkerProcess.in_home("sasl", settings)
    worker.start()
    try:
        worker.wait_until_serving()
        # Two events of one SKU through the project's publisher.
        with StockEventPublisher(settings) as publisher:
            publisher.publish([
                StockReceivedManually(event_id="in-1", merchant_sku="SASL-1", warehouse_id="WH-1",
                                      occurred_at=T0, source="test", qty=7),
                StockRemovedManually(event_id="out-1", merchant_sku="SASL-1",
                                     warehouse_id="WH-1", occurred_at=T0 + 1, source="test",
                                     qty=2)])
        # The worker folds them and serves the stock.
        body = eventually(lambda: _stock(worker, "SASL-1", in_stock=5), timeout_s=60,
                          what="SASL-1 to show 5 in stock")
        assert 2 == worker.stats()["applied"]
        assert 5 == body["total"]["available"]
        # Its HTTP server listens on loopback only.
        assert {"127.0.0.1"} == listening_addresses(worker.settings.web_port)
    finally:
        worker.stop()
    log = worker.log_path.read_text()
    assert '"security_protocol": "' + protocol in log  # the start-up line says how it connects
    assert secure_broker.password not in log


def _stock(worker: WorkerProcess, sku: str, in_stock: int) -> dict | None:
    status, body = worker.get(f"/stock/{sku}")
    return body if status == 200 and body["total"]["in_stock"] == in_stock else None


@pytest.mark.parametrize(("protocol", "mechanism"), [("SASL_SSL", "PLAIN"),
                                                     ("SASL_PLAINTEXT", "SCRAM-SHA-512")])
def test_the_cli_tools_work_over_sasl(secure_broker: SecureBroker, secure_namespace: Settings,
                                      protocol: str, mechanism: str, tmp_path: Path) -> None:
    """topics create, publish, stock --as-of, export and stores add, each a process of its own."""
    settings = secure_broker.settings(secure_namespace, protocol, mechanism)
    created = run_cli(settings, "topics", "create")
    assert 0 == created.returncode, created.stderr
    assert f"created {settings.topic('stock-events')}" in created.stdout
    lines = [{"reason": "STOCK_IN_MANUAL", "merchant_sku": "CLI-1", "warehouse_id": "WH-1",
              "occurred_at": T0 + n, "source": "cli", "qty": n} for n in (3, 4)]
    published = run_cli(settings, "publish", "-",
                        stdin="".join(json.dumps(line) + "\n" for line in lines))
    assert 0 == published.returncode, published.stderr
    stock = run_cli(settings, "stock", "CLI-1", "--as-of", str(int(time.time() * 1000) + 60_000),
                    "--json")
    assert 0 == stock.returncode, stock.stderr
    assert 7 == json.loads(stock.stdout)["total"]["in_stock"]
    out = tmp_path / "events.csv"
    exported = run_cli(settings, "export", "stock-events", "--format", "csv", "--out", str(out))
    assert 0 == exported.returncode, exported.stderr
    with out.open() as file:
        assert ["CLI-1", "CLI-1"] == [row["merchant_sku"] for row in csv.DictReader(file)]
    added = run_cli(settings, "stores", "add", "S1", "--nickname", "Main",
                    "--marketplace", "shopee", "--connector", "simulated",
                    "--option", "base_url=http://127.0.0.1:9")
    assert 0 == added.returncode, added.stderr
    listed = run_cli(settings, "stores", "list")
    assert "S1" in listed.stdout, listed.stderr
    for result in (created, published, stock, exported, added, listed):
        assert secure_broker.password not in result.stdout + result.stderr


def test_tls_without_sasl(secure_broker: SecureBroker, secure_namespace: Settings) -> None:
    """KAFKA_SECURITY_PROTOCOL=SSL: clients verify the broker's certificate against the CA."""
    settings = secure_broker.settings(secure_namespace, "SSL")
    created = run_cli(settings, "topics", "create")
    assert 0 == created.returncode, created.stderr
    untrusted = run_cli(settings.with_overrides(kafka_ssl_cafile=""), "topics", "create",
                        timeout_s=30)
    assert 1 == untrusted.returncode
    assert "presented a certificate that is not trusted" in untrusted.stderr


@pytest.mark.parametrize("command", [("topics", "create"), ("worker",),
                                     ("publish", "/dev/null")])
def test_a_wrong_password_fails_at_once_and_clearly(secure_broker: SecureBroker,
                                                    secure_namespace: Settings,
                                                    command: tuple[str, ...]) -> None:
    """The broker's refusal, the user and the variables to check; never the password."""
    wrong = f"wrong-{secure_broker.password[::-1]}"
    settings = secure_broker.settings(secure_namespace, "SASL_SSL", "SCRAM-SHA-512",
                                      password=wrong)
    started = time.monotonic()
    result = run_cli(settings, *command, timeout_s=30)
    assert time.monotonic() - started < 20
    assert 1 == result.returncode
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in result.stderr
    assert "stocksync-svc" in result.stderr and "KAFKA_SASL_PASSWORD" in result.stderr
    assert wrong not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_listener_of_another_protocol_is_named(secure_broker: SecureBroker,
                                                 secure_namespace: Settings) -> None:
    """SASL settings against the PLAINTEXT port: the error says to check the protocol."""
    settings = secure_broker.settings(secure_namespace, "SASL_PLAINTEXT", "PLAIN")
    result = run_cli(settings.with_overrides(
        kafka_bootstrap_servers=secure_broker.broker.bootstrap), "topics", "create", timeout_s=30)
    assert 1 == result.returncode
    assert "is KAFKA_SECURITY_PROTOCOL the protocol of that listener?" in result.stderr
