"""A what-if rule set from a file: a JSON list of rules (as `stocksync rules list --json` prints
them, or `{"rules": [...]}` as GET /rules answers), or JSON lines, one rule per line. Each rule
has the fields of schemas/config/SyncRule.avsc; those with a default may be left out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stocksync.config_json import InvalidConfigJson, rule_from_json
from stocksync.domain.push import SyncConfig, validate_config
from stocksync.domain.sync import Store, SyncRule


class RulesFileError(ValueError):
    """The file holds no valid rule set; the message says where and why."""


def parse_rules(text: str) -> dict[str, SyncRule]:
    """The rules of `text` by name, each well-formed and named once."""
    rules: dict[str, SyncRule] = {}
    for where, body in _rule_objects(text):
        if not isinstance(body, dict):
            raise RulesFileError(f"{where}: a rule must be a JSON object")
        try:
            rule = rule_from_json(body)
        except InvalidConfigJson as exc:
            raise RulesFileError(f"{where}: {exc}") from None
        if rule.name in rules:
            raise RulesFileError(f"{where}: a second rule named {rule.name!r}")
        rules[rule.name] = rule
    if not rules:
        raise RulesFileError("the file holds no rule")
    return rules


def check_rules(rules: Mapping[str, SyncRule], stores: Mapping[str, Store]) -> None:
    """RulesFileError naming every problem the rules have with `stores` (validate_config)."""
    problems = validate_config(SyncConfig(dict(rules), dict(stores)))
    if problems:
        raise RulesFileError("; ".join(map(str, problems)))


def _rule_objects(text: str) -> list[tuple[str, Any]]:
    """(where, parsed rule) pairs: `rules[i]` of a JSON document, `line n` of JSON lines."""
    try:
        document = json.loads(text)
    except ValueError:
        return _json_lines(text)
    if isinstance(document, dict) and set(document) == {"rules"}:
        document = document["rules"]
    if isinstance(document, dict):
        return [("line 1", document)]  # JSON lines of one rule
    if not isinstance(document, list):
        raise RulesFileError("expected a JSON list of rules, or one rule per line")
    return [(f"rules[{i}]", body) for i, body in enumerate(document)]


def _json_lines(text: str) -> list[tuple[str, Any]]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append((f"line {number}", json.loads(line)))
        except ValueError as exc:
            raise RulesFileError(f"line {number}: not JSON ({exc})") from None
    return found
