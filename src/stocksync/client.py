"""A small HTTP client for a worker's API, used by the CLI."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class WorkerError(RuntimeError):
    """The worker answered with an error or could not be reached; the message says which."""


class WorkerClient:
    def __init__(self, base_url: str, timeout_s: float = 10.0, token: str | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s
        self._token = token

    def stock(self, sku: str) -> dict[str, Any]:
        return self._get(f"/stock/{urllib.parse.quote(sku, safe='')}")

    def stats(self) -> dict[str, Any]:
        return self._get("/stats")

    def refresh(self, merchant_skus: list[str], store_ids: list[str]) -> dict[str, Any]:
        return self._get("/refresh", {"merchant_skus": merchant_skus, "store_ids": store_ids})

    def _get(self, path: str, post: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        data = None if post is None else json.dumps(post).encode()
        request = urllib.request.Request(self._base + path, headers=headers, data=data,
                                         method="GET" if post is None else "POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise WorkerError(_error_message(exc)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise WorkerError(f"no worker answers at {self._base} ({exc}); "
                              "start one with `stocksync worker`") from None


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read())
        return f"{exc.code}: {body.get('error', body)}"
    except (ValueError, AttributeError):
        return f"{exc.code}: {exc.reason}"
