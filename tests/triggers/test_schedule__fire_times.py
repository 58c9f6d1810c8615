"""Schedule maths without a database: fire times in America/New_York across both 2026 DST changes
and an NYSE holiday, local times that do not exist or exist twice, dates, and what a sweep owes
after downtime. Expected instants are written out in UTC."""

from __future__ import annotations

import datetime as dt

import pytest

from workflows.engine import blocks
from workflows.engine.schedule import Schedule, schedule_errors

NY = "America/New_York"


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def times(cron: str, after: str, count: int, **config: object) -> list[str]:
    schedule = Schedule.from_config({"cron": cron, "timezone": NY, **config})
    return [t.strftime("%Y-%m-%d %H:%M") for t in schedule.upcoming(utc(after), count)]


NYSE = {"calendar": {"holidays": "NYSE"}}


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        # Clocks spring forward on Sunday 2026-03-08: EST (UTC-5) before, EDT (UTC-4) after.
        (
            "30 9 * * 1-5",
            "2026-03-04 00:00",
            [
                "2026-03-04 14:30",
                "2026-03-05 14:30",
                "2026-03-06 14:30",
                "2026-03-09 13:30",
                "2026-03-10 13:30",
                "2026-03-11 13:30",
            ],
        ),
        (
            "30 15 * * 1-5",
            "2026-03-04 00:00",
            [
                "2026-03-04 20:30",
                "2026-03-05 20:30",
                "2026-03-06 20:30",
                "2026-03-09 19:30",
                "2026-03-10 19:30",
                "2026-03-11 19:30",
            ],
        ),
        # Clocks fall back on Sunday 2026-11-01: EDT before, EST after.
        (
            "30 9 * * 1-5",
            "2026-10-28 00:00",
            [
                "2026-10-28 13:30",
                "2026-10-29 13:30",
                "2026-10-30 13:30",
                "2026-11-02 14:30",
                "2026-11-03 14:30",
                "2026-11-04 14:30",
            ],
        ),
        (
            "30 15 * * 1-5",
            "2026-10-28 00:00",
            [
                "2026-10-28 19:30",
                "2026-10-29 19:30",
                "2026-10-30 19:30",
                "2026-11-02 20:30",
                "2026-11-03 20:30",
                "2026-11-04 20:30",
            ],
        ),
        # Thanksgiving, Thursday 2026-11-26, the exchange is closed.
        (
            "30 9 * * 1-5",
            "2026-11-24 00:00",
            ["2026-11-24 14:30", "2026-11-25 14:30", "2026-11-27 14:30", "2026-11-30 14:30"],
        ),
        (
            "30 15 * * 1-5",
            "2026-11-24 00:00",
            ["2026-11-24 20:30", "2026-11-25 20:30", "2026-11-27 20:30", "2026-11-30 20:30"],
        ),
    ],
)
def test_market_day_times_stay_local_across_dst_and_skip_exchange_holidays(
    cron: str, after: str, expected: list[str]
) -> None:
    assert times(cron, after, len(expected), **NYSE) == expected


def test_without_the_calendar_thanksgiving_fires() -> None:
    assert times("30 9 * * 1-5", "2026-11-26 00:00", 1) == ["2026-11-26 14:30"]


def test_a_local_time_the_spring_change_skips_fires_once_at_the_change() -> None:
    # 02:30 does not exist on 2026-03-08 in New York: it fires at 03:00 EDT (07:00 UTC), once.
    assert times("30 2 * * *", "2026-03-07 00:00", 3) == [
        "2026-03-07 07:30",
        "2026-03-08 07:00",
        "2026-03-09 06:30",
    ]


def test_a_local_time_the_autumn_change_repeats_fires_once() -> None:
    # 01:30 happens twice on 2026-11-01 (05:30 and 06:30 UTC): only the first fires.
    assert times("30 1 * * *", "2026-10-31 00:00", 3) == [
        "2026-10-31 05:30",
        "2026-11-01 05:30",
        "2026-11-02 06:30",
    ]
    # Asked from inside the repeated hour, 01:30 has already happened that day.
    assert times("30 1 * * *", "2026-11-01 06:00", 1) == ["2026-11-02 06:30"]


def test_start_and_end_dates_are_local_days_and_weekends_can_be_skipped() -> None:
    config = {"start_date": "2026-12-24", "end_date": "2026-12-29"}
    config["calendar"] = {"skip_weekends": True}
    assert times("0 18 * * *", "2026-12-01 00:00", 9, **config) == [
        "2026-12-24 23:00",
        "2026-12-25 23:00",
        "2026-12-28 23:00",
        "2026-12-29 23:00",
    ]


def test_a_calendar_that_refuses_every_match_ends_instead_of_looping() -> None:
    assert times("0 9 * * 6", "2026-01-01 00:00", 1, calendar={"skip_weekends": True}) == []


def test_owed_after_downtime_splits_timely_from_too_late_instants() -> None:
    schedule = Schedule.from_config({"cron": "30 15 * * 1-5", "timezone": NY})
    first = utc("2026-11-24 20:30")
    owed = schedule.owed(first, utc("2026-11-24 20:40"), dt.timedelta(hours=1))
    assert (owed.missed, owed.fire, owed.accounted_until) == (0, (first,), first)

    # Down from Tuesday 15:30 to Thursday 16:00: Tuesday's and Wednesday's are too late,
    # Thursday's (30 minutes ago) is within the hour.
    owed = schedule.owed(first, utc("2026-11-26 21:00"), dt.timedelta(hours=1))
    assert owed.missed == 2
    assert (owed.first_missed, owed.last_missed) == (first, utc("2026-11-25 20:30"))
    assert owed.fire == (utc("2026-11-26 20:30"),)


def test_owed_lists_at_most_the_limit_and_resumes_after_it() -> None:
    schedule = Schedule.from_config({"cron": "* * * * *", "timezone": NY})
    first = utc("2026-11-24 10:00")
    owed = schedule.owed(first, utc("2026-11-24 10:30"), dt.timedelta(hours=1), limit=10)
    assert len(owed.fire) == 10
    assert owed.accounted_until == utc("2026-11-24 10:09")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"cron": "30 9 * *", "timezone": NY}, "must have 5 fields"),
        ({"cron": "61 9 * * *", "timezone": NY}, "Bad minute"),
        ({"cron": "30 9 * * *", "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"cron": "30 9 * * *", "timezone": NY, "calendar": {"holidays": "ZZZ"}}, "ZZZ"),
        ({"cron": "30 9 * * *", "timezone": NY, "start_date": "tomorrow"}, "not a date"),
        (
            {
                "cron": "30 9 * * *",
                "timezone": NY,
                "start_date": "2026-02-01",
                "end_date": "2026-01-01",
            },
            "before start_date",
        ),
    ],
)
def test_schedule_config_errors_say_what_is_wrong(config: dict[str, object], message: str) -> None:
    errors = schedule_errors(config)
    assert len(errors) == 1 and message in errors[0], errors
    assert blocks.get("trigger", "schedule").config_errors(config) == [f"config {errors[0]}"]


def test_a_valid_schedule_block_has_no_config_errors() -> None:
    config = {"cron": "30 9 * * 1-5", "timezone": NY, "calendar": {"holidays": "US-NY"}}
    assert blocks.get("trigger", "schedule").config_errors(config) == []
