"""Webhook: a signed JSON POST per push; 2xx is a success."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

from stocksync.connectors import MemoryLastPushed, Pusher, RetryPolicy
from stocksync.connectors.registry import connector_factory
from stocksync.connectors.simulated_marketplace import serve
from stocksync.connectors.webhook import SIGNATURE_HEADER, signature, verify_signature
from stocksync.domain.sync import FailureCode, PushResult, SyncStatus

from .helpers import command, run, store

KEY = "whsec_5d2e9c0b7a61"
QUICK = RetryPolicy(max_attempts=3, base_delay=0.01, jitter=0.0, attempt_timeout=2.0)


class Receiver:
    """The merchant's endpoint: checks the signature, records what it got, answers `statuses`."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.received: list[tuple[dict[str, Any], dict[str, str], bool]] = []

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        valid = verify_signature(KEY, request.headers.get(SIGNATURE_HEADER, ""), raw)
        self.received.append((json.loads(raw), dict(request.headers), valid))
        status = self.statuses.pop(0) if self.statuses else 204
        return web.Response(status=status, text="" if status < 300 else f"nope {status}")


def push_to(receiver: Receiver, *record_ids: str) -> list[PushResult]:
    async def main() -> list[PushResult]:
        app = web.Application()
        app.router.add_post("/stock", receiver.handle)
        async with serve(app) as server:
            hook = store("HOOK", "webhook", secret_ref="HOOK_KEY", url=f"{server.url}/stock")
            async with Pusher(connector_factory({"HOOK_KEY": KEY}), MemoryLastPushed(),
                              QUICK) as p:
                return [await p.push(command(rid, 3, store_id="HOOK"), hook)
                        for rid in record_ids]
    return run(main())


def test_a_push_posts_the_signed_record() -> None:
    """The receiver gets the record as JSON with a valid signature and the idempotency key."""
    receiver = Receiver(200)
    [result] = push_to(receiver, "R1")
    body, headers, valid = receiver.received[0]
    assert (SyncStatus.SUCCESSFULLY, True, "R1") == (result.status, valid,
                                                      headers["Idempotency-Key"])
    assert {"record_id": "R1", "store_id": "HOOK", "store_sku": "SKU-1", "quantity": 3,
            "last_pushed_qty": None} == {k: v for k, v in body.items() if k != "record"}
    assert ("SYNC_ORDER", "APPLE", {"event_id": "E1", "topic": "stock-events", "partition": 0,
                                    "offset": 41}) == (
        body["record"]["reason"], body["record"]["merchant_sku"], body["record"]["cause"])


@pytest.mark.parametrize(("status", "code"), [
    (401, FailureCode.AUTH_EXPIRED), (403, FailureCode.AUTH_EXPIRED),
    (404, FailureCode.LISTING_NOT_FOUND), (409, FailureCode.CONFLICT),
    (422, FailureCode.VALIDATION), (418, FailureCode.UNKNOWN)])
def test_error_statuses_map_to_failure_codes(status: int, code: FailureCode) -> None:
    """A 4xx answer fails the push at once with its code and the receiver's text."""
    [result] = push_to(Receiver(status), "R1")
    assert (code, 1, f"webhook {status}: nope {status}") == (
        result.failure_code, result.attempts, result.failure_message)


def test_429_and_5xx_are_retried() -> None:
    """503 then 429 then 200: SUCCESSFULLY after three attempts."""
    [result] = push_to(Receiver(503, 429, 200), "R1")
    assert (SyncStatus.SUCCESSFULLY, 3) == (result.status, result.attempts)


def test_a_signature_does_not_verify_another_body_or_key() -> None:
    """verify_signature refuses a changed body and another key."""
    header = signature(KEY, 1_700_000_000, b'{"quantity":3}')
    assert [True, False, False, False] == [
        verify_signature(KEY, header, b'{"quantity":3}'),
        verify_signature(KEY, header, b'{"quantity":4}'),
        verify_signature("other", header, b'{"quantity":3}'),
        verify_signature(KEY, "t=x,v1=00", b'{"quantity":3}')]
