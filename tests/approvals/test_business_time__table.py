"""Business-time maths against a table worked out by hand: weekends, holidays (a country and an
exchange), working hours, and both DST changes (US 8 Mar and 1 Nov 2026, EU 29 Mar 2026)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from approvals.business_time import BusinessCalendar, CalendarError, add, local_text, subtract

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
US = BusinessCalendar(zone="America/New_York", holidays="US")
NYSE = BusinessCalendar(zone="America/New_York", holidays="NYSE")
DE = BusinessCalendar(zone="Europe/Berlin", holidays="DE-BY")


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


TABLE = [
    # why, start, amount, unit, calendar, expected (local)
    (
        "5 business days from Friday 16:00 over the spring change",
        ny(2026, 3, 6, 16),
        5,
        "business_days",
        US,
        ny(2026, 3, 13, 16),
    ),
    (
        "2 business hours from Friday 16:00: one on Friday, one on Monday",
        ny(2026, 3, 6, 16),
        2,
        "business_hours",
        US,
        ny(2026, 3, 9, 10),
    ),
    (
        "24 elapsed hours across the spring change end at 13:00",
        ny(2026, 3, 7, 12),
        24,
        "hours",
        US,
        ny(2026, 3, 8, 13),
    ),
    (
        "24 elapsed hours across the autumn change end at 11:00",
        ny(2026, 10, 31, 12),
        24,
        "hours",
        US,
        ny(2026, 11, 1, 11),
    ),
    (
        "1 business day from Friday 16:00 over the autumn change",
        ny(2026, 10, 30, 16),
        1,
        "business_days",
        US,
        ny(2026, 11, 2, 16),
    ),
    ("Thanksgiving is skipped", ny(2026, 11, 25, 16), 1, "business_days", US, ny(2026, 11, 27, 16)),
    (
        "Christmas Friday and the weekend are skipped",
        ny(2026, 12, 24, 10),
        8,
        "business_hours",
        US,
        ny(2026, 12, 28, 10),
    ),
    (
        "from a Saturday: the end of the fifth working day",
        ny(2026, 3, 7, 10),
        5,
        "business_days",
        US,
        ny(2026, 3, 13, 17),
    ),
    (
        "before opening: counted from 9:00",
        ny(2026, 3, 9, 7),
        1,
        "business_hours",
        US,
        ny(2026, 3, 9, 10),
    ),
    (
        "Good Friday: open for the country",
        ny(2026, 4, 2, 16),
        1,
        "business_days",
        US,
        ny(2026, 4, 3, 16),
    ),
    (
        "Good Friday: the NYSE is closed",
        ny(2026, 4, 2, 16),
        1,
        "business_days",
        NYSE,
        ny(2026, 4, 6, 16),
    ),
    (
        "Berlin over its spring change (29 Mar)",
        dt.datetime(2026, 3, 27, 16, tzinfo=BERLIN),
        1,
        "business_days",
        DE,
        dt.datetime(2026, 3, 30, 16, tzinfo=BERLIN),
    ),
    (
        "Berlin: Whit Monday (25 May 2026) is a holiday",
        dt.datetime(2026, 5, 22, 16, tzinfo=BERLIN),
        1,
        "business_days",
        DE,
        dt.datetime(2026, 5, 26, 16, tzinfo=BERLIN),
    ),
]


@pytest.mark.parametrize(
    ("why", "start", "amount", "unit", "calendar", "expected"), TABLE, ids=[r[0] for r in TABLE]
)
def test_add_matches_the_table(
    why: str,
    start: dt.datetime,
    amount: float,
    unit: str,
    calendar: BusinessCalendar,
    expected: dt.datetime,
) -> None:
    got = add(start, amount, unit, calendar)
    assert got == expected, f"{why}: {got.astimezone(expected.tzinfo)}"


def test_subtract_is_the_reminder_before_a_deadline() -> None:
    # 1 business day before Monday 10:00 (EDT) is Friday 10:00 (EST), over the spring change.
    assert subtract(ny(2026, 3, 9, 10), 1, "business_days", US) == ny(2026, 3, 6, 10)
    assert subtract(ny(2026, 3, 9, 10), 2, "business_hours", US) == ny(2026, 3, 6, 16)


def test_the_deadline_is_shown_as_an_absolute_local_time() -> None:
    deadline = add(ny(2026, 3, 6, 16), 5, "business_days", US)
    assert (
        local_text(deadline, "America/New_York") == "Fri 13 Mar 2026, 16:00 EDT (America/New_York)"
    )
    assert local_text(deadline, "Europe/Berlin") == "Fri 13 Mar 2026, 21:00 CET (Europe/Berlin)"


def test_a_bad_calendar_is_refused() -> None:
    with pytest.raises(CalendarError):
        BusinessCalendar.from_config({"zone": "Mars/Olympus"})
    with pytest.raises(CalendarError):
        BusinessCalendar.from_config({"hours": ["17:00", "09:00"]})
    with pytest.raises(CalendarError):
        BusinessCalendar.from_config({"holidays": "XX-NOWHERE"})
    with pytest.raises(CalendarError):
        add(dt.datetime(2026, 1, 1), 1, "hours", US)  # noqa: DTZ001 - naive on purpose
