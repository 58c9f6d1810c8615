"""`sync_triggers` (the minute sweep exists; published triggers re-synced) and `webhook_secret`
(rotates and prints the secret once)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from tests.support.factories import published
from tests.triggers.conftest import market_close, triggered
from workflows.models_triggers import TriggerSchedule, WebhookEndpoint
from workflows.services.triggers import endpoint_path, endpoint_secrets

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_sync_triggers_restores_the_sweep_and_each_published_schedule() -> None:
    Schedule.objects.all().delete()
    published(market_close())
    TriggerSchedule.objects.update(active=False, next_fire_at=None)
    assert run("sync_triggers") == "schedule sweep created; 1 published triggers synced\n"
    sweep = Schedule.objects.get(name="workflows.fire_due_schedules")
    assert (sweep.func, sweep.schedule_type, sweep.minutes) == (
        "workflows.tasks.fire_due_schedules",
        Schedule.MINUTES,
        1,
    )
    schedule = TriggerSchedule.objects.get()
    assert schedule.active and schedule.next_fire_at > timezone.now()
    assert run("sync_triggers").startswith("schedule sweep present;")
    assert Schedule.objects.count() == 1


def test_webhook_secret_prints_the_address_and_a_new_secret_once() -> None:
    published(triggered("hires", "webhook"))
    endpoint = WebhookEndpoint.objects.get()
    output = run("webhook_secret", "hires")
    secret = re.search(r"secret:\s+(whsec_\S+)", output)
    assert secret is not None
    assert f"address: {endpoint_path(endpoint)}" in output
    endpoint.refresh_from_db()
    assert endpoint_secrets(endpoint, timezone.now()) == [secret.group(1)]
