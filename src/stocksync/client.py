"""A small HTTP client for a worker's API, used by the CLI."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any


class WorkerError(RuntimeError):
    """The worker answered with an error or could not be reached; the message says which.
    `status` is the HTTP status (None: no answer); `parameter` the query parameter it refused."""

    def __init__(self, message: str, status: int | None = None,
                 parameter: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.parameter = parameter


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

    # -- sync history (PRODUCT.md §4); `params` are the HTTP query parameters, None left out --

    def sync_records(self, params: Mapping[str, str | None]) -> dict[str, Any]:
        return self._get(_with_query("/sync-records", params))

    def sync_record(self, record_id: str) -> dict[str, Any]:
        return self._get(f"/sync-records/{_segment(record_id)}")

    def sync_recording(self, params: Mapping[str, str | None]) -> dict[str, Any]:
        return self._get(_with_query("/sync-recording", params))

    def sync_recording_of(self, merchant_sku: str) -> dict[str, Any]:
        return self._get(f"/sync-recording/{_segment(merchant_sku)}")

    def push_records(self, store_id: str, store_sku: str) -> dict[str, Any]:
        return self._get(f"/push-records/{_segment(store_id)}/{_segment(store_sku)}")

    def retry(self, record_ids: list[str] | None = None,
              where: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        """Re-push the listings of FAILED records: by ids, or every one `where` matches."""
        return self._get("/push-records/retry", _selection_body(record_ids, where))

    def sync_logs(self, params: Mapping[str, str | None]) -> dict[str, Any]:
        return self._get(_with_query("/sync-logs", params))

    def sync_log(self, record_id: str) -> dict[str, Any]:
        return self._get(f"/sync-logs/{_segment(record_id)}")

    def resync(self, record_ids: list[str] | None = None,
               where: Mapping[str, str | None] | None = None) -> dict[str, Any]:
        """Sync the subjects of FAILED sync-log entries again: by ids, or every one `where`
        matches."""
        return self._get("/sync-logs/resync", _selection_body(record_ids, where))

    def _get(self, path: str, post: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        data = None if post is None else json.dumps(post).encode()
        request = urllib.request.Request(self._base + path, headers=headers, data=data,
                                         method="GET" if post is None else "POST")
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            body = _error_body(exc)
            raise WorkerError(_error_message(exc.code, exc.reason, body), exc.code,
                              body.get("parameter") if body else None) from None
        except (urllib.error.URLError, OSError) as exc:
            raise WorkerError(f"no worker answers at {self._base} ({exc}); "
                              "start one with `stocksync worker`") from None


def _error_body(exc: urllib.error.HTTPError) -> dict[str, Any] | None:
    try:
        body = json.loads(exc.read())
    except (ValueError, AttributeError):
        return None
    return body if isinstance(body, dict) else None


def _error_message(status: int, reason: str, body: dict[str, Any] | None) -> str:
    if body is None:
        return f"{status}: {reason}"
    if body.get("parameter"):
        return f"{status}: {body['parameter']}: {body.get('error', body)}"
    return f"{status}: {body.get('error', body)}"


def _segment(value: str) -> str:
    """A path segment: every reserved character quoted, `/` too (SKUs may hold any)."""
    return urllib.parse.quote(value, safe="")


def _with_query(path: str, params: Mapping[str, str | None]) -> str:
    given = {name: value for name, value in params.items() if value is not None}
    return f"{path}?{urllib.parse.urlencode(given)}" if given else path


def _selection_body(record_ids: list[str] | None,
                    where: Mapping[str, str | None] | None) -> dict[str, Any]:
    if (record_ids is None) == (where is None):
        raise ValueError("give record_ids or a filter, not both")
    if record_ids is not None:
        return {"record_ids": list(record_ids)}
    return {"filter": {name: value for name, value in (where or {}).items() if value is not None}}
