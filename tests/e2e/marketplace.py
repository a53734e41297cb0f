"""The simulated marketplace as a separate process, as the worker sees it over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from stocksync.worker_process import eventually, free_port


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
