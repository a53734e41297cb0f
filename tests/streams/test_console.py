"""The web console's files as a worker serves them (no broker: the app is built, never started),
and the role `GET /session` tells the console."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, make_mocked_request

from stocksync.settings import Settings
from stocksync.streams.app import create_app
from stocksync.streams.auth import Guard, Role, parse_tokens
from stocksync.streams.console import console_assets

TOKENS = "viewer:v-token,operator:o-token"
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
STATIC = Path(__file__).resolve().parents[2] / "streams" / "console" / "static"


@pytest.fixture()
def app(tmp_path: Path) -> Iterator[Any]:
    yield create_app(Settings(home=tmp_path / "console", api_tokens=TOKENS)).app


@pytest.fixture()
def open_app(tmp_path: Path) -> Iterator[Any]:
    yield create_app(Settings(home=tmp_path / "open")).app


def fetch(app: Any, requests: list[tuple[str, dict[str, str]]]) -> list[tuple[int, Any, bytes]]:
    """(status, headers, body) of each GET, in order."""
    async def exchange() -> list[tuple[int, Any, bytes]]:
        server = TestServer(app.web.web_app)
        await server.start_server()
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
                answers = []
                for path, headers in requests:
                    async with session.get(server.make_url(path), headers=headers,
                                           allow_redirects=False) as answer:
                        answers.append((answer.status, answer.headers, await answer.read()))
                return answers
        finally:
            await server.close()

    return asyncio.run(exchange())


def test_every_file_is_served_with_its_type_and_no_token(app: Any) -> None:
    names = sorted(p.name for p in STATIC.iterdir())
    assert {"index.html", "app.js", "console.css"} <= set(names)
    answers = fetch(app, [("/console", {})] + [(f"/console/{n}", {}) for n in names])
    (status, headers, body), *files = answers
    assert (200, "text/html") == (status, headers["Content-Type"].partition(";")[0])
    assert body == (STATIC / "index.html").read_bytes()
    for name, (status, headers, body) in zip(names, files, strict=True):
        assert 200 == status, name
        assert body == (STATIC / name).read_bytes(), name
        kind = {"js": "text/javascript", "css": "text/css", "html": "text/html",
                "svg": "image/svg+xml"}[name.rpartition(".")[2]]
        assert kind == headers["Content-Type"].partition(";")[0], name
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "nosniff" == headers["X-Content-Type-Options"]


def test_nothing_else_is_served_from_the_console(app: Any) -> None:
    paths = ["/console/nope.js", "/console/..%2F__init__.py", "/console/%2E%2E%2Fapp.py",
             "/console/static", "/console/__init__.py"]
    for path, (status, headers, body) in zip(paths, fetch(app, [(p, {}) for p in paths]),
                                             strict=True):
        assert status == 404, path
        assert headers["Content-Type"].startswith("application/json"), path


def test_the_pages_load_only_files_the_package_ships() -> None:
    """Every module a script imports and every file the page links is one of the console's
    files: nothing is fetched from elsewhere, and no file is left out of the package data."""
    assets = console_assets()
    referenced = set()
    for name, (body, _) in assets.items():
        text = body.decode().replace(SVG_NAMESPACE, "")  # a name, never fetched
        referenced |= set(re.findall(r"from '\./([\w.-]+)'", text))
        referenced |= set(re.findall(r"(?:src|href)=\"/console/([\w.-]+)\"", text))
        assert not re.search(r"https?://", text), f"{name} names another origin"
    assert referenced and referenced <= set(assets), referenced - set(assets)
    assert sorted(assets) == sorted(p.name for p in STATIC.iterdir())


def test_session_tells_the_role_of_the_token(app: Any, open_app: Any) -> None:
    bearer = lambda token: {"Authorization": f"Bearer {token}"}  # noqa: E731
    answers = fetch(app, [("/session", bearer("o-token")), ("/session", bearer("v-token")),
                          ("/session", {}), ("/session", bearer("wrong"))])
    assert [(200, "operator", True), (200, "viewer", False)] == [
        (status, json.loads(body)["role"], json.loads(body)["can_change"])
        for status, _, body in answers[:2]]
    assert [401, 401] == [status for status, _, _ in answers[2:]]
    ((status, _, body),) = fetch(open_app, [("/session", {})])
    assert (200, "operator") == (status, json.loads(body)["role"])


@pytest.mark.parametrize(("tokens", "read_only", "header", "role"), [
    (TOKENS, None, "Bearer o-token", Role.OPERATOR),
    (TOKENS, None, "bearer  v-token ", Role.VIEWER),
    (TOKENS, None, "Bearer x", None),
    (TOKENS, None, "Basic o-token", None),
    (TOKENS, None, "Bearer ", None),
    ("", None, "", Role.OPERATOR),
    (TOKENS, "a replay", "Bearer o-token", Role.VIEWER),
    ("", "a replay", "", Role.VIEWER),
    (TOKENS, "a replay", "Bearer x", None),
])
def test_role_of(tokens: str, read_only: str | None, header: str, role: Role | None) -> None:
    request = make_mocked_request("GET", "/session",
                                  headers={"Authorization": header} if header else {})
    assert role == Guard(parse_tokens(tokens), read_only=read_only).role_of(request)
