"""Stores and sync rules as JSON objects with the Avro records' field names
(schemas/config/*.avsc): the HTTP bodies of /stores and /rules, and the rules of a what-if file.
Fields with a default in the schema may be left out; `percent` may be a JSON number."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from stocksync.domain.sync import Rounding, Store, SyncRule
from stocksync.schemas.push_codec import rule_from_avro, store_from_avro

STORE_DEFAULTS = {"connector_kind": "simulated", "connector_options": {}, "secret_ref": None,
                  "requests_per_second": 5.0}
RULE_DEFAULTS = {"percent": "100", "plus_units": 0, "buffer": 0, "zero_below": 0,
                 "max_qty": None, "rounding": "DOWN", "enabled": True,
                 "sold_out_threshold": None, "sold_out_store_id": None}
STORE_TYPES = {"store_id": str, "nickname": str, "marketplace": str, "connector_kind": str,
               "connector_options": dict, "secret_ref": (str, type(None)),
               "requests_per_second": (int, float)}
RULE_TYPES = {"name": str, "warehouses": list, "store_ids": list, "percent": (str, int, float),
              "plus_units": int, "buffer": int, "zero_below": int, "max_qty": (int, type(None)),
              "rounding": str, "enabled": bool, "sold_out_threshold": (int, type(None)),
              "sold_out_store_id": (str, type(None))}


class InvalidConfigJson(ValueError):
    """The object is not a valid store or rule; the message says which field."""


def store_from_json(body: dict[str, Any], store_id: str) -> Store:
    """The store `body` describes; its `store_id`, when given, must be `store_id`."""
    fields = _validated(body, STORE_TYPES, STORE_DEFAULTS, {"store_id": store_id})
    fields["connector_options"] = {str(k): str(v) for k, v in fields["connector_options"].items()}
    return store_from_avro(fields)


def rule_from_json(body: dict[str, Any], name: str | None = None) -> SyncRule:
    """The rule `body` describes; its `name`, when `name` is given, must be `name`."""
    fields = _validated(body, RULE_TYPES, RULE_DEFAULTS, {} if name is None else {"name": name})
    fields["percent"] = _decimal_text(fields["percent"])
    if fields["rounding"] not in Rounding.__members__:
        raise InvalidConfigJson(f"rounding {fields['rounding']!r} is not one of "
                                f"{', '.join(Rounding.__members__)}")
    return rule_from_avro(fields)


def _validated(body: dict[str, Any], types: dict[str, Any], defaults: dict[str, Any],
               path: dict[str, str]) -> dict[str, Any]:
    for key, value in path.items():
        if body.setdefault(key, value) != value:
            raise InvalidConfigJson(f"{key} in the body ({body[key]!r}) differs from the URL "
                                    f"({value!r})")
    unknown = sorted(set(body) - set(types))
    if unknown:
        raise InvalidConfigJson(f"unknown fields: {', '.join(unknown)}")
    merged = {**defaults, **body}
    for key, expected in types.items():
        if key not in merged:
            raise InvalidConfigJson(f"{key} is required")
        value = merged[key]
        if isinstance(value, bool) and expected is not bool:
            raise InvalidConfigJson(f"{key} has the wrong type")
        if not isinstance(value, expected):
            raise InvalidConfigJson(f"{key} has the wrong type")
    for key in ("warehouses", "store_ids"):
        if key in merged and not all(isinstance(item, str) for item in merged[key]):
            raise InvalidConfigJson(f"{key} must be a list of strings")
    return merged


def _decimal_text(value: Any) -> str:
    try:
        return str(Decimal(str(value)))
    except InvalidOperation:
        raise InvalidConfigJson(f"percent {value!r} is not a number") from None
