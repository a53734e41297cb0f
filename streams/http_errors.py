"""JSON errors for the HTTP API: every refusal is `{"error": message, ...}` with its status.

    @app.page("/x")
    class X(View):
        @guard.requires(Role.VIEWER)
        @answers_errors
        async def get(self, request): ...   # may raise ApiError or QueryError
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from faust.web import Request, Response, View

from stocksync.projections.query_errors import QueryError


class ApiError(Exception):
    """An answer other than 200: its status, a message for people, and extra JSON fields."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None,
                 **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.fields = fields

    def response(self, view: View) -> Response:
        return view.json({"error": self.message, **self.fields}, status=self.status,
                         headers=self.headers or None)


Handler = Callable[..., Awaitable[Response]]


def answers_errors(handler: Handler) -> Handler:
    """ApiError and QueryError (a bad query parameter: 400 naming it) become JSON answers."""

    @functools.wraps(handler)
    async def wrapped(view: View, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return await handler(view, request, *args, **kwargs)
        except QueryError as exc:
            return view.json({"error": exc.message, "parameter": exc.parameter}, status=400)
        except ApiError as exc:
            return exc.response(view)

    return wrapped


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body ({} when empty); ApiError 400 for anything else."""
    raw = await request.read()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def query_params(request: Request) -> dict[str, str]:
    """The query string as one value per name; a repeated name is an error, not a silent pick."""
    params: dict[str, str] = {}
    for name, value in request.query.items():
        if name in params:
            raise QueryError(name, "given twice; give a comma-separated list instead")
        params[name] = value
    return params


def bulk_request(body: dict[str, Any], *, query_path: str, max_ids: int,
                 action: str) -> tuple[list[str] | None, dict[str, str] | None]:
    """The record ids, or the filter parameters, of a bulk action's body (`{"record_ids": [...]}`
    or `{"filter": {...}}`, exactly one); ApiError/QueryError for anything else."""
    unknown = sorted(set(body) - {"record_ids", "filter"})
    if unknown:
        raise ApiError(400, f"unknown fields: {', '.join(unknown)}; give record_ids or filter")
    if ("record_ids" in body) == ("filter" in body):
        raise ApiError(400, "give exactly one of record_ids (a list) or filter (an object of "
                            f"GET {query_path} parameters)")
    if "record_ids" in body:
        ids = body["record_ids"]
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
            raise ApiError(400, "record_ids must be a non-empty list of record ids")
        if len(ids) > max_ids:
            raise ApiError(400, f"at most {max_ids} record_ids per request")
        return sorted(set(ids)), None
    params = body["filter"]
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise ApiError(400, f"filter must be an object of string parameters, as in "
                            f"GET {query_path}")
    for name in ("cursor", "limit"):
        if name in params:
            raise QueryError(name, f"a {action} takes every match; paging does not apply")
    return None, params


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """aiohttp's own refusals (no such route, a method the route lacks) as JSON errors too."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {name: exc.headers[name] for name in ("Allow", "Retry-After")
                   if name in exc.headers}
        return web.json_response({"error": exc.reason, "path": request.path},
                                 status=exc.status, headers=headers)
