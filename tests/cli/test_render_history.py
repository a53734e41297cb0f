"""The CLI's rendering of history JSON: local times, empty tables, column alignment."""

from __future__ import annotations

from stocksync.render import local_time, render_table
from tests.cli.history_json import epoch_ms


def test_local_time_follows_the_zones_offset_across_daylight_saving() -> None:
    """Berlin: +01:00 before 2024-03-31 01:00 UTC, +02:00 after; UTC stays +00:00."""
    assert local_time(epoch_ms("2024-03-31T00:59:59"), "Europe/Berlin") == (
        "2024-03-31 01:59:59+01:00")
    assert local_time(epoch_ms("2024-03-31T01:00:00"), "Europe/Berlin") == (
        "2024-03-31 03:00:00+02:00")
    assert local_time(epoch_ms("2024-05-01T02:00:00.999"), "UTC") == "2024-05-01 02:00:00+00:00"
    assert local_time(None, "UTC") == "-"


def test_a_table_without_rows_has_its_header() -> None:
    assert render_table(("a", "bb"), []) == "a  bb\n-  --"


def test_columns_align_as_asked_and_lines_carry_no_trailing_spaces() -> None:
    assert render_table(("name", "qty"), [("x", 5), ("long", 12)], "lr").splitlines() == [
        "name  qty", "----  ---", "x       5", "long   12"]
    assert render_table(("qty", "name"), [(5, "x"), (12, "long")], "rl").splitlines() == [
        "qty  name", "---  ----", "  5  x", " 12  long"]
