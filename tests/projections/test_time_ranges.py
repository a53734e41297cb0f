"""Time ranges in the operator's zone: today, this week (from Monday), this month, since/until."""

from __future__ import annotations

from datetime import datetime

import pytest

from stocksync.projections.query_errors import QueryError
from stocksync.projections.time_ranges import (
    TimeRange,
    parse_instant,
    range_bounds,
    time_range_from_query,
    to_epoch_ms,
    zone,
)


def ms(iso: str) -> int:
    """Epoch ms of an ISO time with its offset."""
    return to_epoch_ms(datetime.fromisoformat(iso))


def test_today_in_jakarta_starts_at_local_midnight_not_utc() -> None:
    """Half an hour after midnight in Jakarta (UTC+7), today began 30 minutes ago, on the UTC
    date before: a record of 23:59 local time yesterday is out, one of 00:00 is in."""
    # 2024-05-01 00:30 in Jakarta
    now = ms("2024-05-01T00:30:00+07:00")
    today = range_bounds("today", now, "Asia/Jakarta")
    assert TimeRange(ms("2024-05-01T00:00:00+07:00"), now + 1) == today
    # the last millisecond of yesterday and the first of today
    assert ms("2024-04-30T23:59:59.999+07:00") not in today
    assert ms("2024-05-01T00:00:00+07:00") in today
    # now is included
    assert now in today


def test_just_before_midnight_in_jakarta_today_is_still_the_old_day() -> None:
    """At 23:59 local time today started 23 h 59 min before, whatever the UTC date."""
    # 2024-04-30 23:59 in Jakarta, already 16:59 UTC of the same date
    now = ms("2024-04-30T23:59:00+07:00")
    assert ms("2024-04-30T00:00:00+07:00") == range_bounds("today", now, "Asia/Jakarta").since


def test_week_starts_on_monday_and_month_on_the_first() -> None:
    """On Wednesday 2024-05-01 in Jakarta, the week began Monday 04-29, the month on 05-01."""
    # Wednesday, 10:00 local
    now = ms("2024-05-01T10:00:00+07:00")
    assert ms("2024-04-29T00:00:00+07:00") == range_bounds("week", now, "Asia/Jakarta").since
    assert ms("2024-05-01T00:00:00+07:00") == range_bounds("month", now, "Asia/Jakarta").since


def test_on_a_monday_the_week_starts_that_day() -> None:
    """Monday 00:00 local begins the week that contains Monday."""
    # Monday 2024-04-29, one minute after midnight
    now = ms("2024-04-29T00:01:00+07:00")
    assert ms("2024-04-29T00:00:00+07:00") == range_bounds("week", now, "Asia/Jakarta").since


def test_berlin_spring_forward_day_and_week() -> None:
    """On 2024-03-31 (clocks 02:00 CET -> 03:00 CEST) the day, week and month begin at their
    local midnights in winter time, an hour off the summer offset of now."""
    # Sunday noon, summer time (UTC+2)
    now = ms("2024-03-31T12:00:00+02:00")
    assert ms("2024-03-31T00:00:00+01:00") == range_bounds("today", now, "Europe/Berlin").since
    assert ms("2024-03-25T00:00:00+01:00") == range_bounds("week", now, "Europe/Berlin").since
    assert ms("2024-03-01T00:00:00+01:00") == range_bounds("month", now, "Europe/Berlin").since


def test_berlin_fall_back_day_lasts_25_hours() -> None:
    """On 2024-10-27 (clocks 03:00 CEST -> 02:00 CET), at 23:30 local, today holds 24.5 h."""
    # 23:30 winter time (UTC+1)
    now = ms("2024-10-27T23:30:00+01:00")
    today = range_bounds("today", now, "Europe/Berlin")
    assert ms("2024-10-27T00:00:00+02:00") == today.since
    assert 24.5 * 3600 * 1000 == now - today.since


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() -> None:
    """In Santiago 2024-09-08 00:00 does not exist (00:00 -04 -> 01:00 -03): the day starts at
    01:00 -03, right after the last millisecond of the day before."""
    # noon of that day
    now = ms("2024-09-08T12:00:00-03:00")
    since = range_bounds("today", now, "America/Santiago").since
    assert ms("2024-09-08T01:00:00-03:00") == since
    assert ms("2024-09-07T23:59:59.999-04:00") == since - 1


def test_since_and_until_in_the_forms_operators_type() -> None:
    """Epoch ms, ISO times with an offset or Z, local times and dates in the zone."""
    tz = "Asia/Jakarta"
    # epoch ms as given
    assert 1714500000000 == parse_instant("1714500000000", tz, "since")
    # offsets and Z
    assert ms("2024-05-01T00:00:00+00:00") == parse_instant("2024-05-01T00:00:00Z", tz, "since")
    assert ms("2024-05-01T08:00:00+02:00") == parse_instant("2024-05-01T08:00+02:00", tz, "since")
    # a time without offset is local time in the zone
    assert ms("2024-05-01T08:00:00+07:00") == parse_instant("2024-05-01T08:00:00", tz, "since")
    # a date starts at local midnight; as an end it includes its whole day
    assert ms("2024-05-01T00:00:00+07:00") == parse_instant("2024-05-01", tz, "since")
    assert ms("2024-05-02T00:00:00+07:00") == parse_instant("2024-05-01", tz, "until",
                                                           end_of_day=True)


def test_a_date_picker_range_includes_both_days() -> None:
    """since=2024-05-01&until=2024-05-02 covers two whole local days."""
    # the query of a date picker
    found = time_range_from_query({"since": "2024-05-01", "until": "2024-05-02"}, 0, "Asia/Jakarta")
    assert TimeRange(ms("2024-05-01T00:00:00+07:00"), ms("2024-05-03T00:00:00+07:00")) == found


def test_range_names_are_case_insensitive_and_either_end_may_be_open() -> None:
    """range=Today works; since alone leaves until open."""
    # a capitalised range, then since alone
    now = ms("2024-05-01T10:00:00+07:00")
    today = range_bounds("today", now, "UTC")
    assert today == time_range_from_query({"range": "Today"}, now, "UTC")
    assert TimeRange(5, None) == time_range_from_query({"since": "5"}, now, "UTC")


def test_an_unknown_zone_is_a_query_error() -> None:
    """A zone that is not IANA's is refused, naming tz."""
    # a made-up zone
    with pytest.raises(QueryError) as error:
        zone("Mars/Olympus")
    assert "tz" == error.value.parameter
