"""Server side of the trigger controls: a paused schedule does not fire and a resumed one starts
from the next instant (the paused ones are not owed); fire now is refused for a stopped
schedule; the schedule form puts each config error next to its field; a person without change
rights on the workflow cannot send a test delivery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from tests.console_newuser.test_browser__triggers import hr_hook, nightly
from tests.support.factories import admin_user, published
from workflows.access import WORKFLOWS
from workflows.admin.schedule_form import ScheduleForm, holiday_choices
from workflows.models import Run
from workflows.models_triggers import TriggerSchedule, WebhookEndpoint
from workflows.services.schedule_controls import (
    ScheduleRefused,
    schedule_fire_now,
    schedule_pause,
    schedule_resume,
)
from workflows.services.schedules import schedules_fire_due

pytestmark = pytest.mark.django_db


def test_paused_schedules_do_not_fire_and_resume_from_now() -> None:
    schedule = TriggerSchedule.objects.get(workflow=published(nightly()).workflow)
    schedule_pause(schedule=schedule, actor=None)
    assert schedule.next_fire_at is not None
    later = schedule.next_fire_at + timedelta(days=3)
    assert schedules_fire_due(now=later) == 0
    with pytest.raises(ScheduleRefused, match="already paused"):
        schedule_pause(schedule=schedule, actor=None)
    schedule = schedule_resume(schedule=schedule, actor=None)
    assert schedule.next_fire_at is not None
    assert schedule.next_fire_at > timezone.now()  # nothing owed for the paused days
    assert not Run.objects.exists()


def test_fire_now_is_refused_for_a_stopped_schedule() -> None:
    schedule = TriggerSchedule.objects.get(workflow=published(nightly()).workflow)
    TriggerSchedule.objects.filter(pk=schedule.pk).update(active=False)
    schedule.refresh_from_db()
    with pytest.raises(ScheduleRefused, match="not a schedule"):
        schedule_fire_now(schedule=schedule, actor=None)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"cron": "0 9 * *"}, "cron", "must have 5 fields"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Select a valid choice"),
        ({"holidays": "NARNIA"}, "holidays", "Select a valid choice"),
        ({"start_date": "2027-02-01", "end_date": "2027-01-01"}, "end_date", "is before"),
    ],
)
def test_the_schedule_form_puts_errors_next_to_their_field(
    data: dict[str, Any], field: str, message: str
) -> None:
    form = ScheduleForm(data={"cron": "0 9 * * 1-5", "timezone": "Europe/Paris", **data})
    assert not form.is_valid()
    assert message in " ".join(str(error) for error in form.errors[field])


def test_holiday_choices_hold_markets_countries_and_regions() -> None:
    _, (_, markets), (_, countries) = holiday_choices()
    assert ("XNYS", "New York Stock Exchange (XNYS)") in markets
    codes = {code for code, _ in countries}
    assert {"US", "US-NY", "GB", "FR"} <= codes


def test_test_send_needs_change_rights_on_the_workflow() -> None:
    endpoint = WebhookEndpoint.objects.get(workflow=published(hr_hook()).workflow)
    viewer = get_user_model().objects.create_user("val", password="pw", is_staff=True)
    WORKFLOWS.grant(viewer, endpoint.workflow, ["view"])  # may see it, may not change it
    client = Client()
    client.force_login(viewer)
    url = f"/admin/workflows/webhookendpoint/{endpoint.pk}/test-send/"
    assert client.post(url).status_code == 403
    stranger = Client()
    stranger.force_login(get_user_model().objects.create_user("sam", password="pw", is_staff=True))
    assert stranger.post(url).status_code == 404  # another's workflow's endpoint is absent
    admin = Client()
    admin.force_login(admin_user())
    answer = admin.post(url, follow=True)
    assert "has no secret yet: rotate one first" in answer.content.decode()
