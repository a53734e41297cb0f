"""Scatter-gather across workers for queries that no key routes: any worker answers any query.

The worker that takes a request asks every worker that owns partitions of a table (faust's
assignor knows them and their URLs) for its local answer, over `POST /_local/{name}`, and itself
directly. Each local answer says which partitions it covered; the gathered answers must cover
every partition, or the request fails with 503 (a rebalance in progress, a worker not answering)
rather than return a silently partial result, which a bulk retry must never act on.

    scatter = Scatter(app, partitions, guard)   # one per app: it serves /_local/{name}
    scatter.local("records-page", table, lambda body, partitions: {...})  # over own partitions
    answers = await scatter.ask(request, "records-page", {"query": ...})
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import faust
from faust.web import Request, Response, View
from yarl import URL

from stocksync.logs import get_logger
from stocksync.projections.query_errors import QueryError
from stocksync.streams.auth import Guard, Role
from stocksync.streams.http_errors import ApiError, json_body
from stocksync.streams.table_scan import active_partitions

log = get_logger(__name__)

LocalHandler = Callable[[dict[str, Any], list[int]], dict[str, Any]]
PEER_TIMEOUT_S = 20.0


class Scatter:
    def __init__(self, app: faust.App, partitions: int, guard: Guard) -> None:
        self._app = app
        self._partitions = partitions
        self._handlers: dict[str, tuple[Any, LocalHandler]] = {}
        scatter = self

        @app.page("/_local/{name}")
        class LocalView(View):
            @guard.requires(Role.VIEWER)
            async def post(self, request: Request, name: str) -> Response:
                try:
                    return self.json(scatter.answer(name, await json_body(request)))
                except ApiError as exc:
                    return exc.response(self)

    def local(self, name: str, table: Any, handler: LocalHandler) -> None:
        """Registers `handler(body, own_partitions_of_table)`; it runs without awaiting, so the
        tables cannot change under it."""
        self._handlers[name] = (table, handler)

    def answer(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name not in self._handlers:
            raise ApiError(404, f"no local query {name!r}")
        table, handler = self._handlers[name]
        partitions = active_partitions(self._app, table)
        try:
            return {**handler(body, partitions), "partitions": partitions}
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, QueryError):
                raise
            raise ApiError(400, f"malformed local query {name!r}: {exc!r}") from None

    async def ask(self, request: Request, name: str, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Every worker's answer to `name`, covering every partition between them."""
        own = _ident(URL(str(self._app.conf.canonical_url)))
        if name not in self._handlers:
            raise ApiError(404, f"no local query {name!r}")
        table = self._handlers[name][0]
        peers = [URL(url) for url in self._app.router.table_metadata(table.name)]
        auth = request.headers.get("Authorization")
        asks = [self._ask_peer(url, name, body, auth) for url in peers if _ident(url) != own]
        answers = [self.answer(name, body)]
        answers += await asyncio.gather(*asks)
        covered = {p for answer in answers for p in answer["partitions"]}
        missing = sorted(set(range(self._partitions)) - covered)
        if missing:
            raise ApiError(503, "the workers are rebalancing or recovering; no answer covers "
                                f"partitions {missing}, try again shortly",
                           headers={"Retry-After": "2"})
        return answers

    async def _ask_peer(self, url: URL, name: str, body: dict[str, Any],
                        auth: str | None) -> dict[str, Any]:
        headers = {"Authorization": auth} if auth else {}
        target = url.with_path(f"/_local/{name}")
        try:
            async with self._app.http_client.post(
                    target, json=body, headers=headers,
                    timeout=aiohttp.ClientTimeout(total=PEER_TIMEOUT_S)) as response:
                answer = await response.json(content_type=None)
                if response.status != 200:
                    raise ApiError(response.status if response.status < 500 else 502,
                                   f"worker {url} answered {response.status}: "
                                   f"{answer.get('error', answer)}")
                return answer
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            log.warning("peer_unreachable", peer=str(url), query=name, error=str(exc))
            raise ApiError(503, f"worker {url} did not answer ({type(exc).__name__}); "
                                "try again shortly", headers={"Retry-After": "2"}) from None


def _ident(url: URL) -> tuple[str, int]:
    return (url.host or "", url.port or 80)
