"""Time ranges of the history queries, as epoch-ms intervals [since, until) on log time.

    TimeRange(since, until)                       # either end open (None)
    range_bounds("week", now_ms, "Asia/Jakarta")  # Monday 00:00 local time .. now (inclusive)
    time_range_from_query(params, now_ms, tz)     # `range=` or `since=`/`until=`

- `today`, `week` and `month` start at the first instant of the local day, of its week's Monday,
  of its month's first day, in the IANA zone `tz`, and end at `now_ms` included. A day whose
  midnight the clocks skip starts when they jump (the local time with fold=0).
- `since` and `until` take epoch milliseconds, an ISO 8601 time (one without an offset is local
  time in `tz`), or an ISO date: `since=2024-05-01` starts at that day's first instant and
  `until=2024-05-03` ends when that day does, so that a date picker's days are all included.
- Time is always a parameter: nothing here reads a clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stocksync.projections.query_errors import QueryError

RANGES = ("today", "week", "month")
TIME_PARAMETERS = frozenset({"range", "since", "until"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)
_EPOCH_MS = re.compile(r"-?[0-9]{1,19}")


@dataclass(frozen=True, slots=True)
class TimeRange:
    """Epoch-ms instants from `since` (included) to `until` (excluded); None is open."""

    since: int | None = None
    until: int | None = None

    def __contains__(self, ms: int) -> bool:
        return (self.since is None or ms >= self.since) and (self.until is None or ms < self.until)


def zone(tz: str) -> ZoneInfo:
    """The IANA zone called `tz`."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryError("tz", f"{tz!r} is not an IANA time zone") from None


def range_bounds(name: str, now_ms: int, tz: str) -> TimeRange:
    """`today`, `week` (from Monday) or `month` in `tz`, up to `now_ms` included."""
    today = to_local(now_ms, tz).date()
    starts = {
        "today": today,
        "week": today - timedelta(days=today.weekday()),
        "month": today.replace(day=1),
    }
    if name not in starts:
        raise QueryError("range", f"{name!r} is not one of {', '.join(RANGES)}")
    return TimeRange(start_of_day(starts[name], tz), now_ms + 1)


def start_of_day(day: date, tz: str) -> int:
    """The first instant of `day` in `tz`, epoch ms."""
    return to_epoch_ms(datetime(day.year, day.month, day.day, tzinfo=zone(tz)))


def to_local(ms: int, tz: str) -> datetime:
    return (_EPOCH + ms * _ONE_MS).astimezone(zone(tz))


def to_epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // _ONE_MS


def parse_instant(value: str, tz: str, parameter: str, *, end_of_day: bool = False) -> int:
    """`value` as epoch ms: digits are epoch ms; an ISO date is the start of that day in `tz` (the
    start of the next one if `end_of_day`); an ISO time without offset is local time in `tz`."""
    if _EPOCH_MS.fullmatch(value):
        return int(value)
    try:
        if len(value) <= 10:
            day = date.fromisoformat(value)
            return start_of_day(day + timedelta(days=1) if end_of_day else day, tz)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise QueryError(parameter, f"{value!r} is not epoch milliseconds, an ISO 8601 date "
                                    "or an ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone(tz))
    return to_epoch_ms(moment)


def time_range_from_query(params: Mapping[str, str], now_ms: int, tz: str) -> TimeRange:
    """The range of `range=`, or of `since=`/`until=`; both open when none is given."""
    given = {name: params[name] for name in ("range", "since", "until") if name in params}
    if "range" in given:
        if len(given) > 1:
            raise QueryError("range", "give either range or since/until, not both")
        return range_bounds(given["range"].strip().lower(), now_ms, tz)
    since = parse_instant(given["since"], tz, "since") if "since" in given else None
    until = (parse_instant(given["until"], tz, "until", end_of_day=True)
             if "until" in given else None)
    if since is not None and until is not None and since >= until:
        raise QueryError("since", f"since ({given['since']}) must be before "
                                  f"until ({given['until']})")
    return TimeRange(since, until)
