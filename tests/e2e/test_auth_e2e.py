"""The HTTP API with operator tokens: refused without a valid token or the right role."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from stocksync.settings import Settings
from tests.conftest import WorkerFactory

pytestmark = pytest.mark.kafka

VIEWER, OPERATOR = "viewer-token-5f2c", "operator-token-9a7e"


def call(url: str, method: str = "GET", token: str | None = None,
         body: dict | None = None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_requests_need_a_valid_token_of_the_right_role(topics: Settings) -> None:
    """No token or a wrong one: 401; a viewer on a change: 403; the right token: served. The
    tokens never appear in the worker's log."""
    settings = topics.with_overrides(api_tokens=f"viewer:{VIEWER},operator:{OPERATOR}")
    factory = WorkerFactory(settings)
    try:
        worker = factory.start("auth", wait=False)
        worker.token = VIEWER
        worker.wait_until_serving()
        store = f"{worker.url}/stores/AUTH-1"
        body = {"nickname": "Auth", "marketplace": "etsy"}
        assert 401 == call(f"{worker.url}/stats")
        assert 401 == call(f"{worker.url}/stats", token="not-a-token")
        assert 401 == call(store, "PUT", "wrong", body)
        assert 200 == call(f"{worker.url}/stats", token=VIEWER)
        assert 403 == call(store, "PUT", VIEWER, body)
        assert 404 == call(f"{worker.url}/stores/AUTH-1", token=VIEWER)
        assert 200 == call(store, "PUT", OPERATOR, body)
        assert 200 == call(f"{worker.url}/stores/AUTH-1", token=VIEWER)
        assert 401 == call(f"{worker.url}/stock/ANY")
    finally:
        factory.stop_all()
    log = worker.log_path.read_text()
    assert VIEWER not in log and OPERATOR not in log
