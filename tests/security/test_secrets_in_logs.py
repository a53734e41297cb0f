"""No secret in any log line: a worker logged in to Kafka with SCRAM over TLS, with API tokens and
webhook signing keys, does real work (config from the CLI, events published, pushes signed and
delivered, a push refused by a receiver that echoes the key back, API calls with good, wrong and
too weak tokens); then every line it and the CLI wrote, and the broker's own log, is searched for
each secret."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stocksync.connectors.webhook import SIGNATURE_HEADER, verify_signature
from stocksync.settings import Settings
from tests.harness import WorkerProcess, eventually
from tests.security.conftest import SecureBroker, run_cli

pytestmark = pytest.mark.kafka

T0 = 1_767_225_600_000


@dataclass
class Receiver:
    """A merchant's webhook endpoint: /ok checks the signature and accepts; /bad refuses every
    push, echoing the key it holds in its error body (as a careless receiver might)."""

    keys: dict[str, str]
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver({"/ok": f"whk-ok-{uuid.uuid4().hex}", "/bad": f"whk-bad-{uuid.uuid4().hex}"})

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            key = state.keys[self.path]
            if self.path == "/ok" and verify_signature(key, self.headers[SIGNATURE_HEADER], body):
                state.accepted.append(json.loads(body))
                self._answer(200, b"{}")
            else:
                state.refused += 1
                self._answer(401, f"bad signature; my key is {key}".encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def test_no_secret_reaches_a_log_line(secure_broker: SecureBroker, secure_namespace: Settings,
                                      receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    viewer, operator = f"viewer-{uuid.uuid4().hex}", f"operator-{uuid.uuid4().hex}"
    settings = secure_broker.settings(
        secure_namespace, "SASL_SSL", "SCRAM-SHA-512").with_overrides(
        api_tokens=f"viewer:{viewer},operator:{operator}", log_level="debug", window_ms=200)
    secrets = {"the Kafka password": secure_broker.password, "the viewer token": viewer,
               "the operator token": operator, "the /ok signing key": receiver.keys["/ok"],
               "the /bad signing key": receiver.keys["/bad"]}
    # The worker reads the stores' signing keys from its environment.
    monkeypatch.setenv("WHK_OK_KEY", receiver.keys["/ok"])
    monkeypatch.setenv("WHK_BAD_KEY", receiver.keys["/bad"])
    cli: list[str] = []

    def stocksync(*args: str, stdin: str | None = None) -> str:
        result = run_cli(settings, *args, stdin=stdin, env={"STOCKSYNC_API_TOKEN": viewer})
        cli.append(result.stdout + result.stderr)
        assert 0 == result.returncode, result.stderr
        return result.stdout

    # Topics, two webhook stores and a rule pushing to both, from the CLI.
    stocksync("topics", "create")
    for store_id, path, variable in (("W-OK", "/ok", "WHK_OK_KEY"),
                                     ("W-BAD", "/bad", "WHK_BAD_KEY")):
        stocksync("stores", "add", store_id, "--nickname", store_id, "--marketplace", "shopify",
                  "--connector", "webhook", "--option", f"url={receiver.url}{path}",
                  "--secret-ref", variable, "--rps", "50")
    stocksync("rules", "add", "main", "--warehouse", "WH-1", "--store", "W-OK",
              "--store", "W-BAD")
    worker = WorkerProcess.in_home("secrets", settings, token=viewer)
    worker.start()
    try:
        worker.wait_until_serving()
        # Events from the CLI: the SKU mapped to a listing in each store, then stock.
        lines = [{"reason": "MAPPING_CHANGED", "store_id": store_id, "store_sku": f"{store_id}-1",
                  "action": "ADD"} for store_id in ("W-OK", "W-BAD")]
        lines += [{"reason": "STOCK_IN_MANUAL", "qty": 9}, {"reason": "STOCK_OUT_MANUAL", "qty": 2}]
        stocksync("publish", "-", stdin="".join(
            json.dumps({"merchant_sku": "SEC-1", "warehouse_id": "WH-1", "source": "test",
                        "occurred_at": T0 + n, **line}) + "\n" for n, line in enumerate(lines)))
        # The signed push is delivered with the last quantity; the other one fails for good.
        eventually(lambda: True if receiver.accepted and receiver.accepted[-1]["quantity"] == 7
                   else None, timeout_s=60, what="W-OK to be pushed 7")
        history = eventually(lambda: _failed(stocksync(
            "records", "listing", "W-BAD", "W-BAD-1", "--json", "--url", worker.url)),
                             timeout_s=60, what="the W-BAD push to fail")
        assert receiver.refused >= 1 and "AUTH_EXPIRED" in history
        # The API with each token, a wrong one and a viewer's change.
        assert 200 == worker.get("/stock/SEC-1")[0]
        worker.token = operator
        assert 200 == worker.post("/refresh", {"merchant_skus": ["SEC-1"],
                                               "store_ids": ["W-OK"]})[0]
        assert 403 == _with_token(worker, viewer).call("DELETE", "/stores/W-OK")[0]
        assert 401 == _with_token(worker, "not-" + viewer).get("/stats")[0]
    finally:
        worker.stop()  # SIGTERM: the worker flushes and logs its shutdown
    logs = {"the worker's log": worker.log_path.read_text(errors="replace"),
            "the CLI's output": "\n".join(cli),
            "the broker's log": secure_broker.broker.log_file.read_text(errors="replace")}
    assert len(logs["the worker's log"].splitlines()) > 50  # it did log (debug level)
    leaks = [f"{secret} in {where}: {_line_with(text, value)}"
             for secret, value in secrets.items() for where, text in logs.items()
             if value in text]
    assert [] == leaks


def _failed(history: str) -> str | None:
    return history if '"FAILED"' in history else None


def _with_token(worker: WorkerProcess, token: str) -> WorkerProcess:
    return WorkerProcess(worker.name, worker.settings, worker.log_path, token=token)


def _line_with(text: str, value: str) -> str:
    return next(line for line in text.splitlines() if value in line)[:300]
