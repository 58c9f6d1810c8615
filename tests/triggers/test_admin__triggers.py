"""The console: Run now / Dry run with a JSON input pre-filled from the trigger's sample, guarded
by workflows.run_workflow; each schedule's next five fire times in its zone and UTC; webhook
secret rotation shown once; the delivery log."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from guardian.shortcuts import assign_perm

from tests.support.factories import admin_user, published
from tests.triggers.conftest import WORKDAY_HIRES, market_close, sample, triggered, webhook_sender
from workflows.models import Run, Workflow
from workflows.models_triggers import TriggerSchedule, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def hires() -> Workflow:
    config = {**WORKDAY_HIRES, "sample": sample("workday-hire")}
    return published(triggered("workday-hires", "webhook", **config)).workflow


def run_url(workflow: Workflow) -> str:
    return reverse("admin:workflows_workflow_run", args=[workflow.pk])


def test_run_now_is_prefilled_with_the_mapped_sample_and_starts_a_run(
    client: Client, hires: Workflow
) -> None:
    user = admin_user()
    client.force_login(user)
    page = client.get(reverse("admin:workflows_workflow_change", args=[hires.pk]))
    assert run_url(hires) in page.content.decode()
    form = client.get(run_url(hires)).content.decode()
    assert "&quot;user&quot;: &quot;jane.doe&quot;" in form
    assert "&quot;department&quot;: &quot;Finance&quot;" in form

    response = client.post(run_url(hires), {"input": '{"user": "jo"}', "_run": "Run now"})
    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:workflows_run_change", args=[run.pk])
    assert (run.input, run.trigger_kind, run.dry_run, run.started_by) == (
        {"user": "jo"},
        "manual",
        False,
        user,
    )
    client.post(run_url(hires), {"input": '{"user": "jo"}', "_dry_run": "Dry run"})
    assert Run.objects.filter(dry_run=True).count() == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{not json", "$: not valid JSON: Expecting property name enclosed in double quotes"),
        ("[1, 2]", "The input must be a JSON object"),
    ],
)
def test_run_now_refuses_input_that_is_not_a_json_object(
    client: Client, hires: Workflow, text: str, error: str
) -> None:
    client.force_login(admin_user())
    response = client.post(run_url(hires), {"input": text, "_run": "Run now"})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Run.objects.exists()


def staff(*codenames: str) -> Any:
    user = get_user_model().objects.create_user(
        "op", "op@acme.example", "pw-Op-12345", is_staff=True
    )
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return get_user_model().objects.get(pk=user.pk)


def test_run_now_needs_the_run_permission_on_the_model_or_the_workflow(
    client: Client, hires: Workflow
) -> None:
    user = staff("view_workflow", "change_workflow")
    client.force_login(user)
    assert client.get(run_url(hires)).status_code == 403
    page = client.get(reverse("admin:workflows_workflow_change", args=[hires.pk]))
    assert run_url(hires) not in page.content.decode()
    assign_perm("workflows.run_workflow", user, hires)
    assert client.get(run_url(hires)).status_code == 200


def test_a_schedule_shows_its_next_five_fire_times_in_its_zone_and_utc(client: Client) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 19, 0, tzinfo=UTC), tick=False):
        workflow = published(market_close()).workflow
        client.force_login(admin_user())
        schedule = TriggerSchedule.objects.get(workflow=workflow)
        detail = client.get(reverse("admin:workflows_triggerschedule_change", args=[schedule.pk]))
        listing = client.get(reverse("admin:workflows_triggerschedule_changelist"))
        page = client.get(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", detail.content.decode())
    assert rows == [
        ("Tue 2026-11-24 15:30 EST", "2026-11-24 20:30 UTC"),
        ("Wed 2026-11-25 15:30 EST", "2026-11-25 20:30 UTC"),
        ("Fri 2026-11-27 15:30 EST", "2026-11-27 20:30 UTC"),  # Thanksgiving skipped
        ("Mon 2026-11-30 15:30 EST", "2026-11-30 20:30 UTC"),
        ("Tue 2026-12-01 15:30 EST", "2026-12-01 20:30 UTC"),
    ]
    assert "Tue 2026-11-24 15:30 EST" in listing.content.decode()
    assert "last fired never" in page.content.decode()
    assert "2026-11-30 20:30 UTC" in page.content.decode()


def test_rotating_a_webhook_secret_shows_it_once(client: Client) -> None:
    sender = webhook_sender(client, slug="plain")
    client.force_login(admin_user())
    changelist = reverse("admin:workflows_webhookendpoint_changelist")
    data = {"action": "rotate_secret", "_selected_action": [sender.endpoint.pk]}
    response = client.post(changelist, data, follow=True)
    shown = re.findall(r"new signing secret (whsec_\S+)", response.content.decode())
    assert len(shown) == 1
    assert shown[0] not in WebhookEndpoint.objects.get().secret_encrypted
    assert shown[0] not in client.get(changelist).content.decode()
    sender.secret = shown[0]
    assert sender.post({"n": 1}).status_code == 202
    deliveries = client.get(reverse("admin:workflows_webhookdelivery_changelist"))
    assert "Accepted (run started)" in deliveries.content.decode()
