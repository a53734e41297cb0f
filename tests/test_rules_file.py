"""What-if rule files: JSON lists, GET /rules answers and JSON lines; clear errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from stocksync.domain.sync import Rounding, SoldOutPolicy, Store, SyncRule
from stocksync.rules_file import RulesFileError, check_rules, parse_rules
from stocksync.schemas.push_codec import rule_to_avro

EIGHTY = {"name": "main", "warehouses": ["WH-1"], "store_ids": ["S1", "S2"], "percent": 80}
STORES = {s: Store(s, s, "shopee") for s in ("S1", "S2")}


def test_a_json_list_gives_rules_with_the_schema_defaults() -> None:
    rules = parse_rules(json.dumps([EIGHTY, {**EIGHTY, "name": "off", "enabled": False,
                                             "rounding": "UP", "sold_out_threshold": 3,
                                             "sold_out_store_id": "S1"}]))
    assert SyncRule("main", frozenset({"WH-1"}), frozenset({"S1", "S2"}),
                    Decimal(80)) == rules["main"]
    assert (False, Rounding.UP, SoldOutPolicy(3, "S1")) == (
        rules["off"].enabled, rules["off"].rounding, rules["off"].sold_out)


def test_rules_list_json_get_rules_and_json_lines_all_read() -> None:
    """What `stocksync rules list --json` prints and GET /rules answers read back as they were."""
    rule = SyncRule("main", frozenset({"WH-1"}), frozenset({"S1"}), Decimal("92.5"), buffer=2)
    listed = [rule_to_avro(rule)]
    assert {"main": rule} == parse_rules(json.dumps(listed))
    assert {"main": rule} == parse_rules(json.dumps({"rules": listed}))
    lines = "\n".join(json.dumps(r) for r in [EIGHTY, {**EIGHTY, "name": "b"}]) + "\n\n"
    assert ["b", "main"] == sorted(parse_rules(lines))


@pytest.mark.parametrize(("text", "message"), [
    ("", "no rule"),
    ("[]", "no rule"),
    ('"main"', "expected a JSON list"),
    ("[1]", "rules[0]: a rule must be a JSON object"),
    (json.dumps([{**EIGHTY, "percnt": 80}]), "rules[0]: unknown fields: percnt"),
    (json.dumps([{**EIGHTY, "buffer": "2"}]), "rules[0]: buffer has the wrong type"),
    (json.dumps([{**EIGHTY, "percent": "most"}]), "rules[0]: percent 'most' is not a number"),
    (json.dumps([{**EIGHTY, "rounding": "SIDEWAYS"}]), "rules[0]: rounding 'SIDEWAYS'"),
    (json.dumps([EIGHTY, {"name": "x"}]), "rules[1]: warehouses is required"),
    (json.dumps([EIGHTY, EIGHTY]), "rules[1]: a second rule named 'main'"),
    (json.dumps(EIGHTY) + "\n{oops", "line 2: not JSON"),
])
def test_a_bad_file_says_where_and_why(text: str, message: str) -> None:
    with pytest.raises(RulesFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules(text)


def test_rules_are_checked_against_the_stores_and_each_other() -> None:
    check_rules(parse_rules(json.dumps([EIGHTY])), STORES)
    two = parse_rules(json.dumps([EIGHTY, {**EIGHTY, "name": "other", "store_ids": ["S3"],
                                           "buffer": -1}]))
    with pytest.raises(RulesFileError) as raised:
        check_rules(two, STORES)
    assert ["NEGATIVE_SETTING other: buffer -1", "UNKNOWN_STORE other: store 'S3' is not "
            "configured"] == str(raised.value).split("; ")
