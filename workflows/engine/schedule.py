"""Fire times of scheduled triggers: cron in the trigger's own IANA zone, a business calendar and
start/end dates. Pure: every question takes its instants as arguments; the clock is never read.

cronsim iterates in the trigger's zone the way Debian cron does across DST changes: a fixed
local time (9:30) stays 9:30 local on both sides; a time the spring change skips fires once, at
the first minute that exists after it; a time the autumn change repeats fires once, at its first
occurrence. Expressions with a wildcard minute or hour (`*/15 * * * *`) follow elapsed time.
django-q2's own cron schedules use one zone for the whole cluster, hence this module.

Early closes: an exchange's half days (the `holidays` package's `half_day` category, e.g. NYSE
closes at 13:00 the day after Thanksgiving) move a day's instants later than the calendar's
`early_close` time to that time, once: a 15:30 "revoke at the close" fires at 13:00 on those days.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from cronsim import CronSim, CronSimError

from workflows.engine.errors import EngineError

UTC = dt.UTC
ONE_SECOND = dt.timedelta(seconds=1)
MAX_SKIPPED_DAYS = 3660  # a calendar that rules out every match must not loop forever
MAX_MISSED = 100_000  # instants counted as missed in one sweep; the rest wait for the next


@dataclass(frozen=True)
class Owed:
    """Instants a sweep must deal with: too late ones (counted) and timely ones (to fire)."""

    missed: int
    first_missed: dt.datetime | None
    last_missed: dt.datetime | None
    fire: tuple[dt.datetime, ...]
    accounted_until: dt.datetime  # the next sweep starts after this instant


class ScheduleError(EngineError):
    """A schedule's configuration cannot be used (bad cron, unknown zone or calendar)."""


@lru_cache(maxsize=32)
def holiday_set(name: str, category: str = "public") -> holidays.HolidayBase:
    """An exchange calendar (NYSE, XLON, ...) or a country, with an optional region (US-NY);
    `category` "half_day" gives the calendar's early-close days instead of its closed days."""
    code, _, subdiv = name.upper().partition("-")
    try:
        if code in holidays.list_supported_financial():
            return holidays.financial_holidays(code, categories=(category,))
        if code in holidays.list_supported_countries():
            return holidays.country_holidays(code, subdiv=subdiv or None, categories=(category,))
    except NotImplementedError as exc:
        raise ScheduleError(f"holiday calendar {name!r}: {exc}") from None
    raise ScheduleError(
        f"unknown holiday calendar {name!r}: use an exchange (NYSE, XLON, ...) "
        "or a country code (US, GB, US-NY, ...)"
    )


@dataclass(frozen=True)
class Calendar:
    """Which local days may fire: optionally no weekends, and no holidays of one calendar; on
    the calendar's half days, nothing fires later than `early_close` (local wall time)."""

    skip_weekends: bool = False
    holidays: str = ""
    early_close: dt.time | None = None

    def allows(self, day: dt.date) -> bool:
        if self.skip_weekends and day.weekday() >= 5:
            return False
        return not (self.holidays and day in holiday_set(self.holidays))

    def closes_early(self, day: dt.date) -> dt.time | None:
        """The early close of `day` when it is one of the calendar's half days, else None."""
        if self.early_close is None or not self.holidays:
            return None
        return self.early_close if day in holiday_set(self.holidays, "half_day") else None


@dataclass(frozen=True)
class Schedule:
    cron: str
    zone: ZoneInfo
    start: dt.date | None = None
    end: dt.date | None = None
    calendar: Calendar = field(default_factory=Calendar)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Schedule:
        """Build from a schedule trigger's config; raises ScheduleError saying what is wrong."""
        cron = " ".join(str(config.get("cron") or "").split())
        if len(cron.split()) != 5:
            raise ScheduleError(
                f"cron {cron!r} must have 5 fields: minute hour day-of-month month day-of-week"
            )
        try:
            CronSim(cron, dt.datetime(2000, 1, 1, tzinfo=UTC))
        except CronSimError as exc:
            raise ScheduleError(f"cron {cron!r}: {exc}") from None
        name = str(config.get("timezone") or "")
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"unknown time zone {name!r} (use an IANA name)") from None
        start, end = _date(config, "start_date"), _date(config, "end_date")
        if start and end and end < start:
            raise ScheduleError(f"end_date {end} is before start_date {start}")
        return cls(cron, zone, start, end, _calendar(config.get("calendar") or {}))

    def iter_after(self, after: dt.datetime) -> Iterator[dt.datetime]:
        """Fire instants (UTC) strictly after `after`, in order, while there are any."""
        if after.tzinfo is None:
            raise ValueError("schedule maths needs an aware datetime")
        cursor = after.astimezone(self.zone)
        if self.start is not None:
            cursor = max(cursor, dt.datetime.combine(self.start, dt.time(), self.zone) - ONE_SECOND)
        skipped = 0
        while True:
            for candidate in CronSim(self.cron, cursor):
                day = candidate.date()
                if self.end is not None and day > self.end:
                    return
                if not self.calendar.allows(day):
                    skipped += 1
                elif (close := self.calendar.closes_early(day)) and candidate.time() >= close:
                    # Everything from the early close on collapses into one instant at the close.
                    early = dt.datetime.combine(day, close, self.zone).astimezone(UTC)
                    if early > after:
                        yield early
                else:
                    instant = candidate.astimezone(UTC)
                    if instant > after:  # else: a repeated hour whose wall time already fired
                        yield instant
                    continue
                if skipped > MAX_SKIPPED_DAYS:
                    return
                # Jump to the end of the refused (or closed) day instead of walking its matches.
                cursor = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), self.zone)
                cursor -= ONE_SECOND
                break
            else:
                return  # cronsim found nothing in 50 years

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        return next(self.iter_after(after), None)

    def upcoming(self, after: dt.datetime, count: int) -> list[dt.datetime]:
        return list(itertools.islice(self.iter_after(after), count))

    def owed(
        self, first: dt.datetime, now: dt.datetime, max_lateness: dt.timedelta, limit: int = 100
    ) -> Owed:
        """What a sweep at `now` owes, from `first` (an instant already due) on: instants later
        than `max_lateness` are only counted; at most `limit` timely ones are listed to fire."""
        cutoff = now - max_lateness
        missed: list[dt.datetime] = []
        fire: list[dt.datetime] = []
        last = first
        for instant in itertools.chain([first], self.iter_after(first)):
            if instant > now or len(fire) >= limit or len(missed) >= MAX_MISSED:
                break
            last = instant
            (missed if instant < cutoff else fire).append(instant)
        return Owed(
            missed=len(missed),
            first_missed=missed[0] if missed else None,
            last_missed=missed[-1] if missed else None,
            fire=tuple(fire),
            accounted_until=last,
        )

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.zone)


def schedule_errors(config: Mapping[str, Any]) -> list[str]:
    try:
        Schedule.from_config(config)
    except ScheduleError as exc:
        return [str(exc)]
    return []


def _calendar(raw: Mapping[str, Any]) -> Calendar:
    names = str(raw.get("holidays") or "")
    if names:
        holiday_set(names)
    early_close = None
    if raw.get("early_close"):
        if not names:
            raise ScheduleError("calendar early_close needs the calendar's holidays (e.g. NYSE)")
        try:
            early_close = dt.time.fromisoformat(str(raw["early_close"]))
        except ValueError:
            raise ScheduleError(
                f"calendar early_close {raw['early_close']!r} is not a time (HH:MM)"
            ) from None
    return Calendar(bool(raw.get("skip_weekends")), names, early_close)


def _date(config: Mapping[str, Any], name: str) -> dt.date | None:
    value = config.get(name)
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ScheduleError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None
