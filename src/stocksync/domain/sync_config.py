"""`SyncConfig`: the sync rules and stores a push decision reads, and `validate_config`.

A config with problems still runs: records for a store that is not configured name marketplace
"unknown" and the store id as nickname, so nothing is lost while the config is being fixed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from stocksync.domain.sync import Store, SyncRule

UNKNOWN_MARKETPLACE = "unknown"


@dataclass(frozen=True, slots=True)
class SyncConfig:
    rules: Mapping[str, SyncRule]  # by rule name
    stores: Mapping[str, Store]  # by store id
    # Derived once: the enabled rules by name, and per store id the enabled rules pushing to it.
    enabled_rules: tuple[SyncRule, ...] = field(init=False, repr=False, compare=False)
    rules_by_store: Mapping[str, tuple[SyncRule, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        enabled = tuple(sorted((r for r in self.rules.values() if r.enabled), key=lambda r: r.name))
        by_store: dict[str, tuple[SyncRule, ...]] = {}
        for rule in enabled:
            for store_id in rule.store_ids:
                by_store[store_id] = (*by_store.get(store_id, ()), rule)
        object.__setattr__(self, "enabled_rules", enabled)
        object.__setattr__(self, "rules_by_store", by_store)

    def store(self, store_id: str) -> Store:
        """The configured store, or a stand-in (marketplace "unknown", nickname = store id)."""
        store = self.stores.get(store_id)
        if store is None:
            return Store(store_id, nickname=store_id, marketplace=UNKNOWN_MARKETPLACE)
        return store


EMPTY_CONFIG = SyncConfig({}, {})


def affected_stores(old: SyncConfig, new: SyncConfig) -> frozenset[str]:
    """Stores whose listed quantities may differ under `new`: their rule or store changed. A
    configuration change re-pushes their listings."""
    affected = set()
    for store_id in new.rules_by_store:
        if (
            old.rules_by_store.get(store_id) != new.rules_by_store.get(store_id)
            or old.stores.get(store_id) != new.stores.get(store_id)
        ):
            affected.add(store_id)
    return frozenset(affected)


class ProblemCode(str, enum.Enum):
    STORE_IN_TWO_RULES = "STORE_IN_TWO_RULES"  # two enabled rules push to one store
    UNKNOWN_STORE = "UNKNOWN_STORE"  # a rule pushes to a store that is not configured
    RULE_NAME_MISMATCH = "RULE_NAME_MISMATCH"  # rules[key].name != key
    STORE_ID_MISMATCH = "STORE_ID_MISMATCH"  # stores[key].store_id != key
    NO_WAREHOUSES = "NO_WAREHOUSES"  # the rule sums nothing: it always lists 0 (+ reserves)
    NO_STORES = "NO_STORES"  # the rule pushes nowhere
    INVALID_PERCENT = "INVALID_PERCENT"  # negative, NaN or infinite
    NEGATIVE_SETTING = "NEGATIVE_SETTING"  # buffer, zero_below, max_qty or sold-out threshold < 0
    SOLD_OUT_STORE_NOT_IN_RULE = "SOLD_OUT_STORE_NOT_IN_RULE"  # nobody would get the last units


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    code: ProblemCode
    subject: str  # the rule name (or store id) concerned
    detail: str  # for people

    def __str__(self) -> str:
        return f"{self.code.value} {self.subject}: {self.detail}"


def validate_config(config: SyncConfig) -> list[ConfigProblem]:
    """Every problem of `config`, sorted by subject then code; empty when it is sound."""
    problems = [*_overlapping_rules(config), *_mismatched_stores(config)]
    for key, rule in config.rules.items():
        problems.extend(_rule_problems(config, key, rule))
    return sorted(problems, key=lambda p: (p.subject, p.code.value, p.detail))


def _overlapping_rules(config: SyncConfig) -> list[ConfigProblem]:
    return [
        ConfigProblem(
            ProblemCode.STORE_IN_TWO_RULES,
            store_id,
            f"enabled rules {', '.join(r.name for r in rules)} all push to it",
        )
        for store_id, rules in sorted(config.rules_by_store.items())
        if len(rules) > 1
    ]


def _mismatched_stores(config: SyncConfig) -> list[ConfigProblem]:
    return [
        ConfigProblem(ProblemCode.STORE_ID_MISMATCH, key, f"holds store {store.store_id!r}")
        for key, store in config.stores.items()
        if store.store_id != key
    ]


def _rule_problems(config: SyncConfig, key: str, rule: SyncRule) -> list[ConfigProblem]:
    name = rule.name
    problems: list[tuple[ProblemCode, str]] = []
    if key != name:
        problems.append((ProblemCode.RULE_NAME_MISMATCH, f"configured under {key!r}"))
    for store_id in sorted(rule.store_ids):
        if store_id not in config.stores:
            problems.append((ProblemCode.UNKNOWN_STORE, f"store {store_id!r} is not configured"))
    if not rule.warehouses:
        problems.append((ProblemCode.NO_WAREHOUSES, "sums no warehouse"))
    if not rule.store_ids:
        problems.append((ProblemCode.NO_STORES, "pushes to no store"))
    percent = Decimal(rule.percent)
    if not percent.is_finite() or percent < 0:
        problems.append((ProblemCode.INVALID_PERCENT, f"percent {rule.percent}"))
    for setting in ("buffer", "zero_below", "max_qty"):
        value = getattr(rule, setting)
        if value is not None and value < 0:
            problems.append((ProblemCode.NEGATIVE_SETTING, f"{setting} {value}"))
    if rule.sold_out is not None:
        if rule.sold_out.threshold < 0:
            detail = f"sold-out threshold {rule.sold_out.threshold}"
            problems.append((ProblemCode.NEGATIVE_SETTING, detail))
        if rule.sold_out.store_id not in rule.store_ids:
            detail = f"sold-out store {rule.sold_out.store_id!r} is not one of its stores"
            problems.append((ProblemCode.SOLD_OUT_STORE_NOT_IN_RULE, detail))
    return [ConfigProblem(code, name, detail) for code, detail in problems]
