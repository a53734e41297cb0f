"""Worker processes and bounded waits: used by the demo and by the tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from stocksync.settings import Settings

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def eventually(probe: Callable[[], T | None], *, timeout_s: float = 60.0,
               interval_s: float = 0.2, what: str = "condition") -> T:
    """Poll `probe` until it returns something other than None (bounded in time)."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (AssertionError, OSError, urllib.error.URLError, ValueError) as exc:
            last_error, value = exc, None
        if value is not None:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}; last error: "
                         f"{last_error!r}")


def settings_env(settings: Settings) -> dict[str, str]:
    return {**settings.to_env(), "STOCKSYNC_DATA_DIR": str(settings.worker_data_dir)}


class WorkerProcess:
    """A `stocksync worker` subprocess with its own web port and state folder."""

    def __init__(self, name: str, settings: Settings, log_path: Path,
                 token: str | None = None) -> None:
        self.name = name
        self.settings = settings
        self.log_path = log_path
        self.token = token  # sent as a bearer token when the API requires one
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def in_home(cls, name: str, settings: Settings, token: str | None = None) -> WorkerProcess:
        """A worker of `settings`' application with a free port, and its own state folder and
        log in the settings' home."""
        own = settings.with_overrides(web_port=free_port(),
                                      data_dir=settings.home / f"worker-{name}")
        return cls(name, own, log_path=settings.home / f"worker-{name}.log", token=token)

    @property
    def url(self) -> str:
        return self.settings.web_url

    def start(self) -> None:
        env = {**os.environ, **settings_env(self.settings)}
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stocksync", "worker"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def get(self, path: str, timeout_s: float = 10.0) -> tuple[int, Any]:
        """GET a path of this worker's API: (status, parsed JSON)."""
        return self.call("GET", path, timeout_s=timeout_s)

    def post(self, path: str, body: Any, timeout_s: float = 30.0) -> tuple[int, Any]:
        """POST a JSON body to a path of this worker's API: (status, parsed JSON)."""
        return self.call("POST", path, body, timeout_s=timeout_s)

    def call(self, method: str, path: str, body: Any = None,
             timeout_s: float = 10.0) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, headers=headers, data=data,
                                         method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def stats(self) -> dict[str, Any]:
        return self.get("/stats")[1]

    def wait_until_serving(self, timeout_s: float = 90.0) -> None:
        def serving() -> bool | None:
            if not self.alive():
                raise RuntimeError(f"worker {self.name} exited:\n{self.log_tail()}")
            status, body = self.get("/stats", timeout_s=2)
            return True if status == 200 and body.get("ready") else None

        try:
            eventually(serving, timeout_s=timeout_s, interval_s=0.3,
                       what=f"worker {self.name} to serve")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log_tail()}") from None

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30.0) -> None:
        if not self.alive():
            return
        assert self.process is not None
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def kill(self) -> None:
        """kill -9: no shutdown hooks, no final commit."""
        self.stop(signal.SIGKILL)

    def log_tail(self, lines: int = 60, *, skip: tuple[str, ...] = ()) -> str:
        """The log's last `lines` lines, leaving out those that contain any of `skip`."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no worker log)"
        kept = [line for line in text.splitlines() if not any(s in line for s in skip)]
        return "\n".join(kept[-lines:])


class MarketplaceProcess:
    def __init__(self, log_path: Path, rate_limit: float = 5.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = log_path
        self._rate_limit = rate_limit
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self._log_path.open("ab")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "stocksync", "marketplace", "--port", str(self.port),
             "--rate-limit", str(self._rate_limit)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        eventually(lambda: True if self.get("/admin/applied") is not None else None,
                   timeout_s=30, what="the simulated marketplace to answer")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=10)

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"},
                                         method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def listings(self, store_id: str) -> dict[str, int]:
        return self.get(f"/stores/{store_id}/listings")["listings"]

    def applied(self) -> dict[str, int]:
        """Times each idempotency key (record id) was applied."""
        return self.get("/admin/applied")["applied"]

    def requests(self, store_id: str) -> list[dict[str, Any]]:
        return self.get(f"/admin/requests?store_id={store_id}")["requests"]
