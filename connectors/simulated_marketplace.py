"""A simulated marketplace over HTTP (aiohttp), for the demo and for tests.

Per store it keeps listing quantities by store SKU and answers

    PUT /stores/{store_id}/listings/{store_sku}/quantity   {"quantity": n[, "expected_quantity": m]}
        header Idempotency-Key: a repeated key with the same body gets the original answer and
        is applied once; with another body it is refused (422 idempotency_key_reused).
        `expected_quantity` is an optional compare-and-swap: 409 if the listing shows another.

with realistic latency, a per-store rate limit (429 + Retry-After) and, if the store has a token,
`Authorization: Bearer <token>` (401 otherwise). Errors answer {"error": {"code", "message"}}.

Admin endpoints for tests and the demo:
    GET  /stores/{store_id}/listings                 {"store_id", "listings": {sku: qty}}
    GET  /stores/{store_id}/listings/{store_sku}     {"store_id", "store_sku", "quantity"} or 404
    PUT  /admin/listings   {"store_id", "listings": {sku: qty}}   set quantities (a sale elsewhere)
    POST /admin/fail       {"store_id", "store_sku", "status", "code"?, "message"?, "times"?,
                            "retry_after"?}   answer pushes to a listing with an error
    POST /admin/reset      {"store_id"?}   forget listings, failures, keys and logs
    GET  /admin/applied    {"applied": {idempotency_key: times applied}}
    GET  /admin/requests   {"requests": [{"store_id", "store_sku", "at", "status", "key"}]}
    POST /admin/pause | /admin/resume   stop answering pushes (they hang) | answer again
    POST /admin/pause {"store_id"} | /admin/resume {"store_id"}   the same for one store only: its
                           pushes hang, and one whose client has given up by the time the store
                           answers again is dropped unapplied (it never reached the marketplace)
    POST /admin/slow       {"store_id", "delay_s"}   answer the store's pushes only after delay_s
                           seconds (0: at once again); a push whose client has given up by then
                           is dropped unapplied
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from stocksync.connectors.rate_limit import Clock
from stocksync.logs import get_logger

log = get_logger(__name__)

DEFAULT_LATENCY_S = 0.004
ERROR_CODES = {400: "validation_failed", 401: "auth_expired", 403: "forbidden",
               404: "listing_not_found", 409: "conflict", 422: "validation_failed",
               429: "rate_limited", 500: "internal_error", 502: "bad_gateway",
               503: "unavailable", 504: "gateway_timeout"}


@dataclass(slots=True)
class Failure:
    status: int
    code: str
    message: str
    times: int | None  # None: until reset
    retry_after: float | None = None


@dataclass(slots=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass(slots=True)
class RequestLogEntry:
    store_id: str
    store_sku: str
    at: float  # the marketplace's clock, seconds
    status: int
    key: str | None


class _Bucket:
    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.capacity = rate, max(1.0, burst)
        self.tokens, self.updated = self.capacity, now

    def take(self, now: float) -> float:
        """0 if a request may pass now (and takes its token), else the seconds until one may."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class StoreState:
    listings: dict[str, int] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    answers: dict[str, tuple[str, Answer]] = field(default_factory=dict)  # key -> (body, answer)
    key_locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    bucket: _Bucket | None = None
    answering: asyncio.Event = field(default_factory=asyncio.Event)  # cleared: pushes hang
    delay: float = 0.0  # seconds each push waits before it is answered (a slow store)

    def __post_init__(self) -> None:
        self.answering.set()


class MarketplaceState:
    """Everything the simulated marketplace knows; tests in the same process may read it."""

    def __init__(self, *, latency: float, rate_limit: float | None, burst: float,
                 store_rate_limits: Mapping[str, float], tokens: Mapping[str, str],
                 auto_create_listings: bool, fractional_retry_after: bool,
                 clock: Clock) -> None:
        self.latency = latency
        self.rate_limit = rate_limit
        self.burst = burst
        self.store_rate_limits = dict(store_rate_limits)
        self.tokens = dict(tokens)
        self.auto_create_listings = auto_create_listings
        self.fractional_retry_after = fractional_retry_after
        self.clock = clock
        self.stores: dict[str, StoreState] = {}
        self.applied: Counter[str] = Counter()
        self.requests: list[RequestLogEntry] = []
        self.running = asyncio.Event()
        self.running.set()

    def store(self, store_id: str) -> StoreState:
        state = self.stores.get(store_id)
        if state is None:
            state = self.stores[store_id] = StoreState()
            rate = self.store_rate_limits.get(store_id, self.rate_limit)
            if rate is not None:
                state.bucket = _Bucket(rate, self.burst, self.clock())
        return state

    def reset(self, store_id: str | None = None) -> None:
        for state in (self.stores.values() if store_id is None
                      else [self.stores[store_id]] if store_id in self.stores else []):
            state.answering.set()  # pushes it holds are answered (by the new state's rules)
            state.delay = 0.0
        if store_id is None:
            self.stores.clear()
            self.applied.clear()
            self.requests.clear()
            return
        state = self.stores.pop(store_id, None)
        for key in state.answers if state is not None else ():
            self.applied.pop(key, None)
        self.requests = [entry for entry in self.requests if entry.store_id != store_id]

    def request_times(self, store_id: str, *, accepted_only: bool = True) -> list[float]:
        return [entry.at for entry in self.requests if entry.store_id == store_id
                and (not accepted_only or entry.status != 429)]


STATE: web.AppKey[MarketplaceState] = web.AppKey("marketplace_state", MarketplaceState)


def create_marketplace_app(*, latency: float = DEFAULT_LATENCY_S,
                           rate_limit: float | None = 10.0, burst: float = 2.0,
                           store_rate_limits: Mapping[str, float] | None = None,
                           tokens: Mapping[str, str] | None = None,
                           auto_create_listings: bool = True,
                           fractional_retry_after: bool = False,
                           clock: Clock = time.monotonic) -> web.Application:
    """The marketplace. `rate_limit` (requests per second per store, None: unlimited) and `burst`
    apply to every store unless `store_rate_limits` says otherwise. `tokens` maps store ids to the
    bearer token they require. With `auto_create_listings` a push to an unknown SKU creates it;
    without, it is 404. Retry-After is whole seconds (RFC 9110) unless `fractional_retry_after`
    (handy for quick tests)."""
    app = web.Application()
    app[STATE] = MarketplaceState(
        latency=latency, rate_limit=rate_limit, burst=burst,
        store_rate_limits=store_rate_limits or {}, tokens=tokens or {},
        auto_create_listings=auto_create_listings,
        fractional_retry_after=fractional_retry_after, clock=clock)
    app.router.add_put("/stores/{store_id}/listings/{store_sku}/quantity", _set_quantity)
    app.router.add_get("/stores/{store_id}/listings", _listings)
    app.router.add_get("/stores/{store_id}/listings/{store_sku}", _listing)
    app.router.add_put("/admin/listings", _admin_listings)
    app.router.add_post("/admin/fail", _admin_fail)
    app.router.add_post("/admin/reset", _admin_reset)
    app.router.add_get("/admin/applied", _admin_applied)
    app.router.add_get("/admin/requests", _admin_requests)
    app.router.add_post("/admin/pause", _admin_pause)
    app.router.add_post("/admin/resume", _admin_resume)
    app.router.add_post("/admin/slow", _admin_slow)
    return app


# -- the marketplace API -------------------------------------------------------------------------

def _error(status: int, message: str, code: str | None = None,
           headers: Mapping[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code or ERROR_CODES.get(status, "error"), "message": message}}
    return web.json_response(body, status=status, headers=headers)


async def _set_quantity(request: web.Request) -> web.Response:
    state = request.app[STATE]
    raw = await request.text()  # received in full, even if it is not answered for a while
    await state.running.wait()  # paused: hang, like a marketplace that stopped answering
    store_id, sku = request.match_info["store_id"], request.match_info["store_sku"]
    key = request.headers.get("Idempotency-Key")
    store = state.store(store_id)
    if not store.answering.is_set() or store.delay > 0:
        await store.answering.wait()
        await asyncio.sleep(store.delay)
        if request.transport is None or request.transport.is_closing():
            # The client gave up while the store hung: the push never reached the marketplace.
            state.requests.append(RequestLogEntry(store_id, sku, state.clock(), 499, key))
            return web.Response(status=499)
    response = await _answer(state, request, store_id, sku, key, raw)
    state.requests.append(RequestLogEntry(store_id, sku, state.clock(), response.status, key))
    if state.latency > 0:
        await asyncio.sleep(state.latency)
    return response


async def _answer(state: MarketplaceState, request: web.Request, store_id: str, sku: str,
                  key: str | None, raw: str) -> web.Response:
    store = state.store(store_id)
    token = state.tokens.get(store_id)
    if token is not None and request.headers.get("Authorization") != f"Bearer {token}":
        return _error(401, "missing or expired access token", "auth_expired")
    if store.bucket is not None:
        wait = store.bucket.take(state.clock())
        if wait > 0:
            shown = f"{wait:.3f}" if state.fractional_retry_after else str(math.ceil(wait))
            return _error(429, f"more than {store.bucket.rate:g} requests per second",
                          headers={"Retry-After": shown})
    if not key:
        return _error(400, "the Idempotency-Key header is required", "idempotency_key_missing")
    lock = store.key_locks.setdefault(key, asyncio.Lock())
    async with lock:  # a key in flight twice: the second waits and gets the first's answer
        stored = store.answers.get(key)
        if stored is not None:
            body, answer = stored
            if body != _canonical(raw):
                return _error(422, "this Idempotency-Key was used with another body",
                              "idempotency_key_reused")
            return web.json_response(answer.body, status=answer.status,
                                     headers={"Idempotent-Replayed": "true"})
        failure = store.failures.get(sku)
        if failure is not None:
            return _fail(store, sku, failure)
        answer = _apply(state, store, store_id, sku, raw)
        if answer.status == 200:
            store.answers[key] = (_canonical(raw), answer)
            state.applied[key] += 1
        return web.json_response(answer.body, status=answer.status)


def _fail(store: StoreState, sku: str, failure: Failure) -> web.Response:
    if failure.times is not None:
        failure.times -= 1
        if failure.times <= 0:
            del store.failures[sku]
    headers = ({"Retry-After": f"{failure.retry_after:g}"}
               if failure.retry_after is not None else None)
    return _error(failure.status, failure.message, failure.code, headers)


def _apply(state: MarketplaceState, store: StoreState, store_id: str, sku: str,
           raw: str) -> Answer:
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    quantity = body.get("quantity") if isinstance(body, dict) else None
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        return Answer(400, {"error": {"code": "validation_failed",
                                      "message": "quantity must be a whole number >= 0"}})
    current = store.listings.get(sku)
    if current is None and not state.auto_create_listings:
        return Answer(404, {"error": {"code": "listing_not_found",
                                      "message": f"listing {sku} not found"}})
    expected = body.get("expected_quantity")
    if expected is not None and current is not None and expected != current:
        return Answer(409, {"error": {"code": "conflict",
                                      "message": f"listing {sku} shows {current}, not {expected}"}})
    store.listings[sku] = quantity
    return Answer(200, {"store_id": store_id, "store_sku": sku, "quantity": quantity,
                        "previous_quantity": current})


def _canonical(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), sort_keys=True)
    except ValueError:
        return raw


async def _listings(request: web.Request) -> web.Response:
    state = request.app[STATE]
    store_id = request.match_info["store_id"]
    listings = state.stores[store_id].listings if store_id in state.stores else {}
    return web.json_response({"store_id": store_id, "listings": dict(sorted(listings.items()))})


async def _listing(request: web.Request) -> web.Response:
    state = request.app[STATE]
    store_id, sku = request.match_info["store_id"], request.match_info["store_sku"]
    quantity = state.stores[store_id].listings.get(sku) if store_id in state.stores else None
    if quantity is None:
        return _error(404, f"listing {sku} not found")
    return web.json_response({"store_id": store_id, "store_sku": sku, "quantity": quantity})


# -- admin ---------------------------------------------------------------------------------------

async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError:
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


async def _admin_listings(request: web.Request) -> web.Response:
    body = await _json_object(request)
    store_id, listings = body.get("store_id"), body.get("listings")
    if not isinstance(store_id, str) or not isinstance(listings, dict) or not all(
            isinstance(qty, int) and qty >= 0 for qty in listings.values()):
        raise web.HTTPBadRequest(text="expected {store_id, listings: {sku: quantity >= 0}}")
    request.app[STATE].store(store_id).listings.update(listings)
    return web.json_response({"store_id": store_id, "updated": len(listings)})


async def _admin_fail(request: web.Request) -> web.Response:
    body = await _json_object(request)
    store_id, sku, status = body.get("store_id"), body.get("store_sku"), body.get("status")
    times, retry_after = body.get("times"), body.get("retry_after")
    if (not isinstance(store_id, str) or not isinstance(sku, str)
            or not isinstance(status, int) or not 400 <= status <= 599
            or not (times is None or isinstance(times, int) and times > 0)
            or not (retry_after is None or isinstance(retry_after, int | float))):
        raise web.HTTPBadRequest(
            text="expected {store_id, store_sku, status: 400-599, code?, message?, times?, "
                 "retry_after?}")
    code = str(body.get("code") or ERROR_CODES.get(status, "error"))
    message = str(body.get("message") or f"{code.replace('_', ' ')}: {sku}")
    request.app[STATE].store(store_id).failures[sku] = Failure(
        status, code, message, times, None if retry_after is None else float(retry_after))
    return web.json_response({"store_id": store_id, "store_sku": sku, "status": status,
                              "code": code})


async def _admin_reset(request: web.Request) -> web.Response:
    body = await _json_object(request)
    store_id = body.get("store_id")
    request.app[STATE].reset(store_id if isinstance(store_id, str) else None)
    return web.json_response({"reset": store_id or "all"})


async def _admin_applied(request: web.Request) -> web.Response:
    return web.json_response({"applied": dict(sorted(request.app[STATE].applied.items()))})


async def _admin_requests(request: web.Request) -> web.Response:
    state = request.app[STATE]
    store_id = request.query.get("store_id")
    entries = [{"store_id": e.store_id, "store_sku": e.store_sku, "at": e.at,
                "status": e.status, "key": e.key}
               for e in state.requests if store_id is None or e.store_id == store_id]
    return web.json_response({"requests": entries})


async def _admin_pause(request: web.Request) -> web.Response:
    state, store_id = request.app[STATE], await _optional_store_id(request)
    if store_id is None:
        state.running.clear()
        return web.json_response({"paused": True})
    state.store(store_id).answering.clear()
    return web.json_response({"paused": True, "store_id": store_id})


async def _admin_resume(request: web.Request) -> web.Response:
    state, store_id = request.app[STATE], await _optional_store_id(request)
    if store_id is None:
        state.running.set()
        for store in state.stores.values():
            store.answering.set()
        return web.json_response({"paused": False})
    state.store(store_id).answering.set()
    return web.json_response({"paused": False, "store_id": store_id})


async def _admin_slow(request: web.Request) -> web.Response:
    body = await _json_object(request)
    store_id, delay = body.get("store_id"), body.get("delay_s")
    if (not isinstance(store_id, str) or isinstance(delay, bool)
            or not isinstance(delay, int | float) or not 0 <= delay < math.inf):
        raise web.HTTPBadRequest(text="expected {store_id, delay_s: seconds >= 0}")
    request.app[STATE].store(store_id).delay = float(delay)
    return web.json_response({"store_id": store_id, "delay_s": float(delay)})


async def _optional_store_id(request: web.Request) -> str | None:
    store_id = (await _json_object(request)).get("store_id")
    if store_id is not None and not isinstance(store_id, str):
        raise web.HTTPBadRequest(text="store_id must be a string")
    return store_id


# -- serving -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RunningServer:
    url: str  # http://host:port, no trailing slash
    app: web.Application


@asynccontextmanager
async def serve(app: web.Application, host: str = "127.0.0.1",
                port: int = 0) -> AsyncIterator[RunningServer]:
    """Serve `app` until the block ends; port 0 lets the OS choose one."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        yield RunningServer(f"http://{bound_host}:{bound_port}", app)
    finally:
        if STATE in app:
            app[STATE].running.set()  # release paused requests, so that they can finish
            for store in app[STATE].stores.values():
                store.answering.set()
                store.delay = 0.0
        await runner.cleanup()


async def run_marketplace(host: str = "127.0.0.1", port: int = 8089, *,
                          ready: Callable[[str], None] | None = None,
                          **options: Any) -> None:
    """Serve the simulated marketplace until cancelled (`stocksync marketplace`). `options` go to
    `create_marketplace_app`; `ready` is called with the base URL once it listens."""
    async with serve(create_marketplace_app(**options), host, port) as server:
        log.info("marketplace_listening", url=server.url)
        if ready is not None:
            ready(server.url)
        await asyncio.Event().wait()
