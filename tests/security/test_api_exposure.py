"""The HTTP API's exposure: tokens compared in constant time, every one of them, and the server
bound to loopback unless STOCKSYNC_WEB_HOST says otherwise."""

from __future__ import annotations

import hmac
from pathlib import Path

import pytest

from stocksync.settings import Settings
from stocksync.streams import auth
from stocksync.streams.app import create_app
from stocksync.streams.auth import Role, parse_tokens


def test_every_token_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """role_for compares the offered token with each configured one through
    hmac.compare_digest, matching or not: no early exit, no `==` on secrets."""
    compared: list[tuple[bytes, bytes]] = []
    constant_time = hmac.compare_digest

    def spy(offered: bytes, secret: bytes) -> bool:
        compared.append((offered, secret))
        return constant_time(offered, secret)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    tokens = parse_tokens("viewer:v-1,operator:o-1,viewer:v-2")
    assert Role.OPERATOR == tokens.role_for("o-1")
    assert [(b"o-1", b"v-1"), (b"o-1", b"o-1"), (b"o-1", b"v-2")] == compared
    compared.clear()
    assert tokens.role_for("o-1x") is None
    assert 3 == len(compared)


def test_the_web_server_binds_loopback_unless_configured(tmp_path: Path) -> None:
    """The default settings and the worker's app bind 127.0.0.1; STOCKSYNC_WEB_HOST moves it."""
    assert "127.0.0.1" == Settings.from_env({}).web_host
    assert "127.0.0.1" == create_app(Settings(home=tmp_path)).app.conf.web_bind
    everywhere = Settings.from_env({"STOCKSYNC_WEB_HOST": "0.0.0.0",
                                    "STOCKSYNC_HOME": str(tmp_path)})
    assert "0.0.0.0" == create_app(everywhere).app.conf.web_bind


def listening_addresses(port: int) -> set[str]:
    """The local IPv4/IPv6 addresses a socket listens on at `port` (Linux /proc/net)."""
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                addresses.add(_address(address))
    return addresses


def _address(hex_address: str) -> str:
    if len(hex_address) == 8:  # IPv4, little-endian
        return ".".join(str(int(hex_address[i:i + 2], 16)) for i in (6, 4, 2, 0))
    return "::" if int(hex_address, 16) == 0 else hex_address
