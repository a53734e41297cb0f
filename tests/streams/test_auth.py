"""Operator tokens: parsing and roles."""

from __future__ import annotations

import pytest

from stocksync.streams.auth import Role, TokenSpecError, parse_tokens


def test_tokens_map_to_their_roles() -> None:
    """Each configured token grants its role; an unknown token grants nothing."""
    tokens = parse_tokens("viewer:v-1, operator:o-1,viewer:v-2")
    assert (Role.VIEWER, Role.OPERATOR, Role.VIEWER, None) == (
        tokens.role_for("v-1"), tokens.role_for("o-1"), tokens.role_for("v-2"),
        tokens.role_for("v-3"))


def test_a_token_configured_twice_gets_its_highest_role() -> None:
    """The same token listed as viewer and operator is an operator."""
    assert Role.OPERATOR == parse_tokens("viewer:same,operator:same").role_for("same")


@pytest.mark.parametrize("spec", ["viewer", "admin:x", "viewer:", ":x"])
def test_malformed_specs_are_refused_without_echoing_tokens(spec: str) -> None:
    """A malformed entry is an error that names its position, never its token."""
    with pytest.raises(TokenSpecError) as raised:
        parse_tokens(spec)
    assert "x" not in str(raised.value).replace("STOCKSYNC", "").replace("entry", "")


def test_tokens_never_show_in_repr() -> None:
    """repr of the token set hides the tokens."""
    assert "secret-token" not in repr(parse_tokens("operator:secret-token"))
