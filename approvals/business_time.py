"""Deadlines in business time: hours, business hours and business days on a business calendar.

Plain Python (no Django), so the arithmetic is tested on its own against a table. Every instant
taken or returned is timezone-aware; working hours are local wall-clock times in the calendar's
IANA zone, so a DST change moves no working hour (9:00-17:00 is 8 hours on both sides), while
plain `hours` are elapsed time (24 hours across a spring change ends an hour later on the clock).

Business days are counted as whole working days of business time: "5 business days" from Friday
16:00 is the next Friday 16:00 (one working hour on Friday, four full days, seven hours on the
fifth), and from a Saturday it is the end of the fifth working day. Holidays come from the same
calendars the schedule trigger uses (a country, a country-subdivision such as US-NY, or an
exchange such as NYSE).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.engine.schedule import ScheduleError, holiday_set

UNITS = ("hours", "business_hours", "business_days")
MAX_DAYS = 3660  # a calendar with no working day must not loop forever


class CalendarError(ValueError):
    """A business calendar or duration that cannot be used (the message says why)."""


@dataclass(frozen=True)
class BusinessCalendar:
    zone: str = "UTC"
    holidays: str = ""  # "", "US", "US-NY", "DE-BY", "NYSE", ...
    weekend: tuple[int, ...] = (5, 6)  # Monday is 0
    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(17, 0)

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> BusinessCalendar:
        """From a block's `calendar` config: {zone, holidays, weekend, hours: [opens, closes]}."""
        config = config or {}
        try:
            hours = config.get("hours") or ["09:00", "17:00"]
            calendar = cls(
                zone=str(config.get("zone") or "UTC"),
                holidays=str(config.get("holidays") or ""),
                weekend=tuple(int(d) for d in config.get("weekend", (5, 6))),
                opens=dt.time.fromisoformat(str(hours[0])),
                closes=dt.time.fromisoformat(str(hours[1])),
            )
        except (TypeError, ValueError, IndexError) as exc:
            raise CalendarError(f"calendar: {exc}") from None
        calendar.check()
        return calendar

    def check(self) -> None:
        try:
            ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"unknown time zone {self.zone!r}") from None
        if self.opens >= self.closes:
            raise CalendarError("working hours must open before they close")
        if len(set(self.weekend)) >= 7 or any(not 0 <= d <= 6 for d in self.weekend):
            raise CalendarError("the weekend must leave at least one working day (0-6)")
        if self.holidays:
            try:
                holiday_set(self.holidays)
            except ScheduleError as exc:
                raise CalendarError(str(exc)) from None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def is_business_day(self, day: dt.date) -> bool:
        if day.weekday() in self.weekend:
            return False
        return not (self.holidays and day in holiday_set(self.holidays))

    def day_seconds(self) -> float:
        today = dt.date(2000, 1, 3)
        opens = dt.datetime.combine(today, self.opens)
        return (dt.datetime.combine(today, self.closes) - opens).total_seconds()

    def _interval(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """A working day's opening and closing instants, in UTC (wall-clock times in the zone)."""
        tz = self.tz
        opens = dt.datetime.combine(day, self.opens, tzinfo=tz).astimezone(dt.UTC)
        closes = dt.datetime.combine(day, self.closes, tzinfo=tz).astimezone(dt.UTC)
        return opens, closes


def _aware(instant: dt.datetime) -> dt.datetime:
    if instant.tzinfo is None:
        raise CalendarError("instants must be timezone-aware")
    return instant.astimezone(dt.UTC)


def _business_seconds(amount: float, unit: str, calendar: BusinessCalendar) -> float:
    if unit == "business_hours":
        return amount * 3600
    if unit == "business_days":
        return amount * calendar.day_seconds()
    raise CalendarError(f"unknown unit {unit!r}: use one of {', '.join(UNITS)}")


def add(start: dt.datetime, amount: float, unit: str, calendar: BusinessCalendar) -> dt.datetime:
    """The instant `amount` `unit`s after `start` (aware, returned in UTC)."""
    if amount < 0:
        return subtract(start, -amount, unit, calendar)
    start = _aware(start)
    if unit == "hours":
        return start + dt.timedelta(hours=amount)
    remaining = _business_seconds(amount, unit, calendar)
    if remaining == 0:
        return start
    day = start.astimezone(calendar.tz).date()
    for _ in range(MAX_DAYS):
        if calendar.is_business_day(day):
            opens, closes = calendar._interval(day)
            begin = max(start, opens)
            if begin < closes:
                available = (closes - begin).total_seconds()
                if remaining <= available:
                    return begin + dt.timedelta(seconds=remaining)
                remaining -= available
        day += dt.timedelta(days=1)
    raise CalendarError("no working day within ten years")


def subtract(end: dt.datetime, amount: float, unit: str, calendar: BusinessCalendar) -> dt.datetime:
    """The instant `amount` `unit`s before `end` (for reminders: 1 business day before)."""
    end = _aware(end)
    if unit == "hours":
        return end - dt.timedelta(hours=amount)
    remaining = _business_seconds(amount, unit, calendar)
    if remaining == 0:
        return end
    day = end.astimezone(calendar.tz).date()
    for _ in range(MAX_DAYS):
        if calendar.is_business_day(day):
            opens, closes = calendar._interval(day)
            finish = min(end, closes)
            if finish > opens:
                available = (finish - opens).total_seconds()
                if remaining <= available:
                    return finish - dt.timedelta(seconds=remaining)
                remaining -= available
        day -= dt.timedelta(days=1)
    raise CalendarError("no working day within ten years")


def local_text(instant: dt.datetime, zone: str) -> str:
    """An absolute local date and time: 'Fri 13 Mar 2026, 16:00 EDT (America/New_York)'."""
    local = _aware(instant).astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()} ({zone})"
