"""An in-memory marketplace behind the connector port, for unit tests and dry runs.

It holds quantities, applies each idempotency key once (a repeated key gets the first answer),
compares and swaps against `last_pushed_qty` when it knows the listing, and can be told to fail a
listing, to rate limit or to time out.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from stocksync.connectors.base import Connector, PushOutcome, PushRequest
from stocksync.domain.sync import FailureCode


@dataclass(slots=True)
class _Fault:
    outcome: PushOutcome | None  # None: hang until cancelled (a timeout)
    times: int | None  # None: until cleared


class MemoryConnector(Connector):
    def __init__(self, quantities: Mapping[str, int] | None = None, *,
                 known_listings_only: bool = False) -> None:
        super().__init__()
        self.quantities: dict[str, int] = dict(quantities or {})
        self.known_listings_only = known_listings_only
        self.applied: Counter[str] = Counter()  # idempotency key -> times applied
        self.requests: list[PushRequest] = []  # every attempt, in order
        self._answers: dict[str, PushOutcome] = {}
        self._listing_faults: dict[str, _Fault] = {}
        self._faults: list[_Fault] = []  # for any listing, oldest first

    # -- what tests tell it ----------------------------------------------------------------

    def fail_listing(self, store_sku: str, code: FailureCode, message: str | None = None, *,
                     transient: bool = False, times: int | None = None) -> None:
        """Answer every push to `store_sku` (the next `times` ones) with this failure."""
        text = message or f"{code.value.lower()}: {store_sku}"
        outcome = (PushOutcome.transient(code, text) if transient
                   else PushOutcome.failed(code, text))
        self._listing_faults[store_sku] = _Fault(outcome, times)

    def clear_listing(self, store_sku: str) -> None:
        self._listing_faults.pop(store_sku, None)

    def rate_limit(self, times: int = 1, retry_after: float | None = None) -> None:
        """The next `times` pushes are refused as rate limited (429), with this Retry-After."""
        self._faults.append(_Fault(PushOutcome.transient(
            FailureCode.RATE_LIMITED, "429 rate limited", retry_after), times))

    def time_out(self, times: int = 1) -> None:
        """The next `times` pushes never answer (until the caller gives up)."""
        self._faults.append(_Fault(None, times))

    def fail_transiently(self, times: int = 1,
                         code: FailureCode = FailureCode.MARKETPLACE_ERROR) -> None:
        """The next `times` pushes get a retryable error (a 5xx by default)."""
        self._faults.append(_Fault(PushOutcome.transient(code, "503 service unavailable"), times))

    # -- the port --------------------------------------------------------------------------

    async def set_quantity(self, request: PushRequest) -> PushOutcome:
        self.requests.append(request)
        fault = self._next_fault(request.store_sku)
        if fault is not None:
            if fault.outcome is None:
                await asyncio.Event().wait()  # never set: the caller's timeout cancels us
            assert fault.outcome is not None
            return fault.outcome
        if request.record_id in self._answers:
            return self._answers[request.record_id]
        outcome = self._apply(request)
        if outcome.is_ok:
            self._answers[request.record_id] = outcome
        return outcome

    def _apply(self, request: PushRequest) -> PushOutcome:
        current = self.quantities.get(request.store_sku)
        if current is None and self.known_listings_only:
            return PushOutcome.failed(FailureCode.LISTING_NOT_FOUND,
                                      f"listing {request.store_sku} not found")
        if request.qty < 0:
            return PushOutcome.failed(FailureCode.VALIDATION, "quantity must not be negative")
        if (current is not None and request.last_pushed_qty is not None
                and current != request.last_pushed_qty):
            return PushOutcome.failed(
                FailureCode.CONFLICT,
                f"listing {request.store_sku} shows {current}, not {request.last_pushed_qty}")
        self.quantities[request.store_sku] = request.qty
        self.applied[request.record_id] += 1
        return PushOutcome.ok()

    def _next_fault(self, store_sku: str) -> _Fault | None:
        listing_fault = self._listing_faults.get(store_sku)
        if listing_fault is not None:
            self._use(listing_fault, lambda: self._listing_faults.pop(store_sku))
            return listing_fault
        if self._faults:
            fault = self._faults[0]
            self._use(fault, lambda: self._faults.pop(0))
            return fault
        return None

    @staticmethod
    def _use(fault: _Fault, remove: Callable[[], object]) -> None:
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                remove()
