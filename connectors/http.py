"""What the HTTP connectors share: one aiohttp session each, transport errors turned into outcomes
whose messages never carry a URL (query strings can hold tokens), and Retry-After parsing."""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from stocksync.connectors.base import Connector, PushOutcome
from stocksync.connectors.secrets import Secret
from stocksync.domain.sync import FailureCode

MAX_ERROR_TEXT = 300  # characters of a marketplace's error text kept in a failure message


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    headers: CIMultiDictProxy[str]
    text: str

    def json(self) -> Any:
        """The body as JSON, or None if it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None

    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("Retry-After"))


class TransportError(Exception):
    """No HTTP answer; `outcome` says what to report."""

    def __init__(self, outcome: PushOutcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class HttpConnector(Connector):
    def __init__(self, secrets: Iterable[Secret | None] = (), *,
                 session: aiohttp.ClientSession | None = None) -> None:
        super().__init__(secrets)
        self._session = session
        self._owns_session = session is None

    async def _send(self, method: str, url: str, *, params: Mapping[str, str] | None = None,
                    headers: Mapping[str, str] | None = None,
                    body: bytes | None = None) -> HttpAnswer:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=120), raise_for_status=False)
        try:
            async with self._session.request(method, url, params=params, headers=headers,
                                             data=body) as response:
                text = await response.text(errors="replace")
                return HttpAnswer(response.status, response.headers, text)
        except aiohttp.InvalidURL:
            raise TransportError(PushOutcome.failed(
                FailureCode.STORE_NOT_CONFIGURED,
                "the marketplace URL is not valid (check the base_url option)")) from None
        except aiohttp.ClientConnectorError as exc:
            raise TransportError(PushOutcome.transient(
                FailureCode.MARKETPLACE_ERROR,
                f"cannot connect to {exc.host}:{exc.port}")) from None
        except TimeoutError:  # aiohttp's own timeouts are TimeoutErrors too
            raise TransportError(PushOutcome.transient(
                FailureCode.TIMEOUT, "the marketplace did not answer in time")) from None
        except aiohttp.ClientError as exc:
            raise TransportError(PushOutcome.transient(
                FailureCode.MARKETPLACE_ERROR,
                f"connection to the marketplace failed ({type(exc).__name__})")) from None

    async def aclose(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds (decimals accepted) or an HTTP-date."""
    if value is None or not value.strip():
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def outcome_for_status(status: int, message: str,
                       retry_after: float | None = None) -> PushOutcome:
    """The usual meaning of an HTTP error status for a quantity update."""
    if status == 429:
        return PushOutcome.transient(FailureCode.RATE_LIMITED, message, retry_after)
    if status in (408, 504):
        return PushOutcome.transient(FailureCode.TIMEOUT, message, retry_after)
    if status >= 500:
        return PushOutcome.transient(FailureCode.MARKETPLACE_ERROR, message, retry_after)
    if status in (401, 403):
        return PushOutcome.failed(FailureCode.AUTH_EXPIRED, message)
    if status in (404, 410):
        return PushOutcome.failed(FailureCode.LISTING_NOT_FOUND, message)
    if status in (409, 412):
        return PushOutcome.failed(FailureCode.CONFLICT, message)
    if status in (400, 422):
        return PushOutcome.failed(FailureCode.VALIDATION, message)
    return PushOutcome.failed(FailureCode.UNKNOWN, message)


def short(text: object) -> str:
    """A marketplace's error text, trimmed for a failure message."""
    value = " ".join(str(text).split())
    return value if len(value) <= MAX_ERROR_TEXT else value[: MAX_ERROR_TEXT - 1] + "…"
