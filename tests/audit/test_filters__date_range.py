"""Days are read in the auditor's zone: 23:59:59 of the last day is in, midnight after is out."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, RequestFactory

from audit import filters
from audit.models import AuditEvent

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def edges(event_at) -> None:
    """Around the last day, 2026-03-08 in New York (a DST change day: 23 hours long)."""
    event_at(datetime(2026, 3, 7, 23, 59, 59, tzinfo=NEW_YORK), action="before")
    event_at(datetime(2026, 3, 8, 0, 0, 0, tzinfo=NEW_YORK), action="first-second")
    event_at(datetime(2026, 3, 8, 23, 59, 59, tzinfo=NEW_YORK), action="last-second")
    event_at(datetime(2026, 3, 9, 0, 0, 0, tzinfo=NEW_YORK), action="day-after")


def actions(params: dict[str, str], zone: ZoneInfo = NEW_YORK) -> list[str]:
    found = filters.parse(params, zone).apply(AuditEvent.objects.all())
    return list(found.order_by("seq").values_list("action", flat=True))


@pytest.mark.django_db
def test_window_includes_the_last_second_and_excludes_the_next_midnight(edges) -> None:
    assert actions({"from": "2026-03-08", "to": "2026-03-08"}) == ["first-second", "last-second"]
    # Read in UTC the same days cover other instants.
    assert actions({"from": "2026-03-08", "to": "2026-03-08"}, ZoneInfo("UTC")) == [
        "before",
        "first-second",
    ]


@pytest.mark.django_db
def test_admin_reads_days_in_the_zone_the_browser_sent(edges, superuser) -> None:
    client = Client()
    client.force_login(superuser)
    client.cookies["idc_tz"] = "America/New_York"
    page = client.get("/admin/audit/auditevent/", {"from": "2026-03-08", "to": "2026-03-08"})

    assert page.status_code == 200
    shown = [event.action for event in page.context["cl"].result_list]
    assert shown == ["last-second", "first-second"]
    assert "2026-03-08 23:59:59 EDT" in page.content.decode()


def test_zone_comes_from_parameter_then_cookie_then_settings(settings) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    factory = RequestFactory()
    with_cookie = factory.get("/", {"tz": "Asia/Tokyo"})
    with_cookie.COOKIES["idc_tz"] = "America/New_York"
    assert filters.auditor_zone(with_cookie).key == "Asia/Tokyo"
    cookie_only = factory.get("/")
    cookie_only.COOKIES["idc_tz"] = "America/New_York"
    assert filters.auditor_zone(cookie_only).key == "America/New_York"
    assert filters.auditor_zone(factory.get("/", {"tz": "Not/AZone"})).key == "Europe/Paris"


@pytest.mark.parametrize(
    "preset, first, last",
    [
        ("today", date(2026, 5, 20), date(2026, 5, 20)),
        ("last_7_days", date(2026, 5, 14), date(2026, 5, 20)),
        ("last_month", date(2026, 4, 1), date(2026, 4, 30)),
        ("last_quarter", date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_presets(preset, first, last) -> None:
    assert filters.preset_days(preset, date(2026, 5, 20)) == (first, last)
    window = filters.parse({"preset": preset}, NEW_YORK, today=date(2026, 5, 20))
    assert window.start == datetime(first.year, first.month, first.day, tzinfo=NEW_YORK)
    assert window.end is not None and window.end.date() > last


def test_last_quarter_in_january_is_the_previous_year() -> None:
    assert filters.preset_days("last_quarter", date(2026, 1, 15)) == (
        date(2025, 10, 1),
        date(2025, 12, 31),
    )


def test_bad_parameters_are_explained() -> None:
    with pytest.raises(filters.FilterError, match="'from' must be a date"):
        filters.parse({"from": "yesterday"}, NEW_YORK)
    with pytest.raises(filters.FilterError, match="after"):
        filters.parse({"from": "2026-02-02", "to": "2026-02-01"}, NEW_YORK)
    with pytest.raises(filters.FilterError, match="unknown preset"):
        filters.parse({"preset": "forever"}, NEW_YORK)
