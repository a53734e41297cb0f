"""The sync config: enabled rules per store, stand-ins for missing stores, validation."""

from decimal import Decimal

from stocksync.domain.sync import SoldOutPolicy, Store
from stocksync.domain.sync_config import (
    ConfigProblem,
    ProblemCode,
    SyncConfig,
    validate_config,
)

from .push_builders import config, rule, store


def test_a_sound_config_has_no_problems() -> None:
    """Rules pushing to distinct, configured stores validate without problems."""
    # R1 pushes to S1 and S2, R2 to S3
    sound = config(rule("R1", stores=("S1", "S2")), rule("R2", stores=("S3",)))
    assert [] == validate_config(sound)


def test_two_enabled_rules_must_not_push_to_one_store() -> None:
    """Two enabled rules pushing to the same store is STORE_IN_TWO_RULES, named by the store."""
    # R1 and R2 both push to S2
    clashing = config(rule("R1", stores=("S1", "S2")), rule("R2", stores=("S2",)))
    expected = [ConfigProblem(ProblemCode.STORE_IN_TWO_RULES, "S2",
                              "enabled rules R1, R2 all push to it")]
    assert expected == validate_config(clashing)


def test_a_disabled_rule_may_share_a_store() -> None:
    """A disabled rule pushing to the store of an enabled one is no problem."""
    # R2, disabled, also pushes to S1
    shared = config(rule("R1"), rule("R2", enabled=False))
    assert [] == validate_config(shared)


def test_a_rule_pushing_to_an_unconfigured_store_is_reported() -> None:
    """A rule's store missing from the stores is UNKNOWN_STORE."""
    # R1 pushes to S1 and S9; only S1 is configured
    missing = config(rule(stores=("S1", "S9")), stores=("S1",))
    expected = [ConfigProblem(ProblemCode.UNKNOWN_STORE, "R1", "store 'S9' is not configured")]
    assert expected == validate_config(missing)


def test_an_unconfigured_store_gets_a_stand_in() -> None:
    """A store missing from the config reads as marketplace 'unknown' named by its id."""
    # nothing configured
    assert Store("S9", nickname="S9", marketplace="unknown") == config().store("S9")
    # a configured store is itself
    assert store("S1") == config(rule()).store("S1")


def test_every_setting_problem_is_reported() -> None:
    """Mismatched keys, empty rules, bad percent, negative settings and a foreign sold-out store
    are all reported, sorted by subject then code."""
    # a rule under the wrong key, with nothing to sum or push to and every bad setting
    bad = rule("R1", warehouses=(), stores=(), percent=-1, buffer=-1, zero_below=-2,
               max_qty=-3, sold_out=SoldOutPolicy(-4, "S7"))
    problems = validate_config(SyncConfig({"R0": bad}, {"S5": store("S6")}))
    expected = [
        (ProblemCode.INVALID_PERCENT, "R1"),
        (ProblemCode.NEGATIVE_SETTING, "R1"),
        (ProblemCode.NEGATIVE_SETTING, "R1"),
        (ProblemCode.NEGATIVE_SETTING, "R1"),
        (ProblemCode.NEGATIVE_SETTING, "R1"),
        (ProblemCode.NO_STORES, "R1"),
        (ProblemCode.NO_WAREHOUSES, "R1"),
        (ProblemCode.RULE_NAME_MISMATCH, "R1"),
        (ProblemCode.SOLD_OUT_STORE_NOT_IN_RULE, "R1"),
        (ProblemCode.STORE_ID_MISMATCH, "S5"),
    ]
    assert expected == [(p.code, p.subject) for p in problems]


def test_a_nan_percent_is_invalid() -> None:
    """A percent that is not a finite number is INVALID_PERCENT."""
    # percent NaN
    nan = SyncConfig({"R1": rule(percent="NaN")}, {"S1": store("S1")})
    assert [ProblemCode.INVALID_PERCENT] == [p.code for p in validate_config(nan)]


def test_a_problem_reads_as_code_subject_and_detail() -> None:
    """str(problem) is 'CODE subject: detail'."""
    # an unknown store problem
    problem = ConfigProblem(ProblemCode.UNKNOWN_STORE, "R1", "store 'S9' is not configured")
    assert "UNKNOWN_STORE R1: store 'S9' is not configured" == str(problem)


def test_enabled_rules_come_sorted_by_name_and_indexed_by_store() -> None:
    """The config lists its enabled rules by name and, per store, the enabled ones pushing to it."""
    # R2 and R1 enabled, R0 disabled; R1 and R0 push to S1, R2 to S1 and S2
    r0, r1 = rule("R0", enabled=False), rule("R1")
    r2 = rule("R2", stores=("S1", "S2"), percent=Decimal(50))
    sync_config = config(r2, r0, r1)
    assert (r1, r2) == sync_config.enabled_rules
    assert {"S1": (r1, r2), "S2": (r2,)} == sync_config.rules_by_store
