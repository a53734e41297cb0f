"""Operator tokens for the HTTP API: `viewer` may read, `operator` may also change.

Tokens come from the settings (STOCKSYNC_API_TOKENS="viewer:<token>,operator:<token>", several of
each allowed) and are sent as `Authorization: Bearer <token>`. Every configured token is compared
in constant time, so the answer takes as long whichever token (or part of one) matches. With no
token configured the API is open (it binds loopback by default) and the worker says so at start.
"""

from __future__ import annotations

import enum
import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from faust.web import Request, Response, View


class Role(enum.IntEnum):
    VIEWER = 1
    OPERATOR = 2


class TokenSpecError(ValueError):
    """STOCKSYNC_API_TOKENS is malformed; the message never contains a token."""


@dataclass(frozen=True)
class ApiTokens:
    entries: tuple[tuple[Role, bytes], ...] = ()

    def __repr__(self) -> str:  # tokens never reach a log line
        return f"ApiTokens({len(self.entries)} tokens)"

    @property
    def enabled(self) -> bool:
        return bool(self.entries)

    def role_for(self, token: str) -> Role | None:
        """The highest role of a matching token; every entry is compared, in constant time."""
        offered = token.encode()
        found: Role | None = None
        for role, secret in self.entries:
            if hmac.compare_digest(offered, secret) and (found is None or role > found):
                found = role
        return found


def parse_tokens(spec: str) -> ApiTokens:
    entries = []
    for number, item in enumerate(filter(None, (part.strip() for part in spec.split(","))), 1):
        role, sep, token = item.partition(":")
        if not sep or not token:
            raise TokenSpecError(f"STOCKSYNC_API_TOKENS entry {number} is not role:token")
        try:
            entries.append((Role[role.strip().upper()], token.strip().encode()))
        except KeyError:
            raise TokenSpecError(f"STOCKSYNC_API_TOKENS entry {number}: the role must be viewer "
                                 "or operator") from None
    return ApiTokens(tuple(entries))


Handler = Callable[..., Awaitable[Response]]


class Guard:
    """Wraps view methods so that they answer only to a token of at least a given role."""

    def __init__(self, tokens: ApiTokens, read_only: str | None = None) -> None:
        self._tokens = tokens
        # Why nothing may be changed here (a replay's worker), or None.
        self._read_only = read_only

    def requires(self, role: Role) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            @functools.wraps(handler)
            async def guarded(view: View, request: Request, *args: Any, **kwargs: Any) -> Response:
                refused = self.refusal(view, request, role)
                if refused is not None:
                    return refused
                return await handler(view, request, *args, **kwargs)

            return guarded

        return decorate

    def refusal(self, view: View, request: Request, role: Role) -> Response | None:
        if self._read_only is not None and role >= Role.OPERATOR:
            return view.json({"error": self._read_only}, status=403)
        if not self._tokens.enabled:
            return None
        token = _bearer(request)
        if token is None:
            return view.json({"error": "a bearer token is required"}, status=401,
                             headers={"WWW-Authenticate": "Bearer"})
        granted = self._tokens.role_for(token)
        if granted is None:
            return view.json({"error": "the token is not valid"}, status=401,
                             headers={"WWW-Authenticate": "Bearer"})
        if granted < role:
            return view.json({"error": f"this needs the {role.name.lower()} role"}, status=403)
        return None

    def role_of(self, request: Request) -> Role | None:
        """The role a request acts with: its token's (None for no valid token), the operator's
        when no token is configured, and never more than the viewer's on a read-only worker."""
        if self._tokens.enabled:
            token = _bearer(request)
            granted = None if token is None else self._tokens.role_for(token)
        else:
            granted = Role.OPERATOR
        if granted is not None and self._read_only is not None:
            return Role.VIEWER
        return granted


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
