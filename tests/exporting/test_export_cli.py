"""`stocksync export` and `stocksync publish` of an export: what they refuse and the time
options, none of which needs a broker."""

from __future__ import annotations

import io
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stocksync.cli import main
from stocksync.cli_export import _window
from stocksync.exporting.files import write_avro
from stocksync.exporting.values import topic_values
from stocksync.projections.time_ranges import TimeRange
from stocksync.schemas.push_codec import encode_sync_record
from tests.domain.push_builders import record
from tests.exporting.messages import T0, exported

DAY = 24 * 3600 * 1000


@pytest.mark.parametrize(("since", "until", "zone", "expected"), [
    (None, None, "UTC", TimeRange(None, None)),
    (str(T0), None, "UTC", TimeRange(T0, None)),
    ("2026-01-01", "2026-01-01", "UTC", TimeRange(T0, T0 + DAY)),  # a date's whole day
    ("2026-01-01T07:00:00+07:00", None, "UTC", TimeRange(T0, None)),
    ("2026-01-01T07:00:00", None, "Asia/Jakarta", TimeRange(T0, None)),  # local time
])
def test_since_and_until_take_epoch_ms_dates_and_times(since: str | None, until: str | None,
                                                       zone: str, expected: TimeRange) -> None:
    assert expected == _window(since, until, zone)


def test_a_bad_time_names_its_option() -> None:
    with pytest.raises(click.BadParameter) as caught:
        _window("yesterday-ish", None, "UTC")
    assert "--since" == caught.value.param_hint
    with pytest.raises(click.BadParameter, match="must be before"):
        _window("2026-01-02", "2026-01-01", "UTC")


def run(*args: str, stdin: bytes | None = None) -> click.testing.Result:
    # An unreachable broker: every case here must be refused before any connection.
    return CliRunner().invoke(main, ["--bootstrap", "127.0.0.1:9", *args], input=stdin)


def test_the_dead_letter_topic_is_a_usage_error(tmp_path: Path) -> None:
    result = run("export", "stock-events.dlq", "--out", str(tmp_path / "x.avro"))
    assert 2 == result.exit_code
    assert "could not be decoded" in result.output
    assert not (tmp_path / "x.avro").exists()


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = run("export", "stock-events", "--format", "xlsx", "--out", str(tmp_path / "x"))
    assert 2 == result.exit_code and "xlsx" in result.output


def test_publish_refuses_an_export_of_another_topic_before_connecting() -> None:
    out = io.BytesIO()
    write_avro(out, topic_values("sync-records"),
               [exported(encode_sync_record(record(1, T0)), "sync-records")],
               {"stocksync.topic": "sync-records", "stocksync.partitions": "4"})
    result = run("publish", "-", stdin=out.getvalue())
    assert 2 == result.exit_code
    assert "an export of sync-records: only exports of stock-events are published" in (
        result.output)


def test_publish_refuses_a_file_that_is_neither_json_lines_nor_avro() -> None:
    result = run("publish", "-", stdin=b"PAR1\xff\xfe")
    assert 2 == result.exit_code
    assert "neither JSON lines (UTF-8) nor an Avro export" in result.output
