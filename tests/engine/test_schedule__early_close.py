"""NYSE half days (the `holidays` package's half_day category): a 15:30 close fires at the early
close (13:00 New York) on those days only, the 9:30 open is untouched, a sweep standing between
the early close and 15:30 owes nothing more that day, and bad configs are refused by name.
Expected instants are written out in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.engine import blocks
from workflows.engine.schedule import Schedule, schedule_errors

NY = "America/New_York"
CLOSE = {"holidays": "NYSE", "early_close": "13:00"}


def upcoming(cron: str, after: str, count: int, calendar: dict[str, object]) -> list[str]:
    schedule = Schedule.from_config({"cron": cron, "timezone": NY, "calendar": calendar})
    start = dt.datetime.fromisoformat(after).replace(tzinfo=dt.UTC)
    return [t.strftime("%Y-%m-%d %H:%M") for t in schedule.upcoming(start, count)]


def test_the_close_moves_to_one_pm_on_the_day_after_thanksgiving_and_christmas_eve() -> None:
    # 2026-11-26 Thanksgiving (closed), 11-27 half day; 12-24 half day, 12-25 closed. EST = UTC-5.
    assert upcoming("30 15 * * 1-5", "2026-11-25 00:00", 4, CLOSE) == [
        "2026-11-25 20:30",
        "2026-11-27 18:00",
        "2026-11-30 20:30",
        "2026-12-01 20:30",
    ]
    assert upcoming("30 15 * * 1-5", "2026-12-23 00:00", 3, CLOSE) == [
        "2026-12-23 20:30",
        "2026-12-24 18:00",
        "2026-12-28 20:30",
    ]


def test_the_open_is_the_same_on_a_half_day() -> None:
    assert upcoming("30 9 * * 1-5", "2026-11-25 00:00", 3, CLOSE) == [
        "2026-11-25 14:30",
        "2026-11-27 14:30",
        "2026-11-30 14:30",
    ]


def test_without_early_close_a_half_day_fires_at_its_cron_time() -> None:
    assert upcoming("30 15 * * 1-5", "2026-11-27 00:00", 1, {"holidays": "NYSE"}) == [
        "2026-11-27 20:30"
    ]


def test_several_instants_after_the_close_collapse_into_one() -> None:
    # Every half hour from 12:00 to 15:30: 12:00 and 12:30 stay, the rest is one 13:00.
    assert upcoming("0,30 12-15 * * 1-5", "2026-11-27 00:00", 4, CLOSE) == [
        "2026-11-27 17:00",
        "2026-11-27 17:30",
        "2026-11-27 18:00",
        "2026-11-30 17:00",
    ]


def test_a_sweep_after_the_early_close_owes_nothing_more_that_day() -> None:
    schedule = Schedule.from_config({"cron": "30 15 * * 1-5", "timezone": NY, "calendar": CLOSE})
    after_close = dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC)  # exactly 13:00 in New York
    assert schedule.next_after(after_close) == dt.datetime(2026, 11, 30, 20, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("calendar", "message"),
    [
        ({"early_close": "13:00"}, "early_close needs the calendar's holidays"),
        ({"holidays": "NYSE", "early_close": "25:00"}, "early_close"),
    ],
)
def test_a_bad_early_close_is_refused_saying_why(calendar: dict[str, str], message: str) -> None:
    trigger = blocks.get("trigger", "schedule")
    errors = trigger.config_errors({"cron": "30 15 * * 1-5", "timezone": NY, "calendar": calendar})
    assert errors and message in " ".join(errors)
    assert schedule_errors({"cron": "30 15 * * 1-5", "timezone": NY, "calendar": calendar})
