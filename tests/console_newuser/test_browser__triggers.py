"""Triggers managed in the console: a schedule form (cron, zone and holiday pickers) with a
preview of the next fires in the trigger's zone, pause / resume / fire now; the webhook page
with the full URL, its authentication and mapping, a first secret that claims no previous one,
and a signed test delivery whose answer is shown."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.console_newuser.conftest import Console
from tests.support.documents import block, document, edge
from tests.support.factories import published
from workflows.models import Run
from workflows.models_triggers import TriggerSchedule, WebhookDelivery, WebhookEndpoint
from workflows.status import TriggerKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nightly() -> dict:  # type: ignore[type-arg]
    return document(
        "nightly-review",
        [
            block("start", "trigger", "schedule", cron="0 9 * * 1-5", timezone="Europe/Paris"),
            block("done", "logic", "noop"),
        ],
        [edge("start", "done")],
    )


def hr_hook() -> dict:  # type: ignore[type-arg]
    return document(
        "hr-hook",
        [
            block(
                "start",
                "trigger",
                "webhook",
                mapping={"user": "=payload.worker.userName"},
                sample={"worker": {"userName": "jane.doe"}},
            ),
            block("done", "logic", "noop"),
        ],
        [edge("start", "done")],
    )


def test_schedule_form_preview_and_controls(console: Console) -> None:
    page = console.page
    workflow = published(nightly()).workflow
    console.go(f"/admin/workflows/workflow/{workflow.pk}/change/")
    page.click('.object-tools a:text-is("Schedule")')
    assert page.locator("#id_cron").input_value() == "0 9 * * 1-5"
    assert page.locator("#id_timezone").input_value() == "Europe/Paris"
    page.fill("#id_cron", "61 7 * * *")
    page.click("input[name=_preview]")
    assert "cron '61 7 * * *'" in page.inner_text(".field-cron .errorlist")
    page.fill("#id_cron", "30 7 * * *")
    page.select_option("#id_timezone", "America/New_York")
    page.check("#id_skip_weekends")
    page.select_option("#id_holidays", "US")
    page.click("input[name=_preview]")
    rows = page.locator("#schedule-preview tbody tr td:first-child").all_inner_texts()
    assert len(rows) == 5
    assert all(" 07:30 E" in row and not row.startswith(("Sat", "Sun")) for row in rows), rows
    page.click("input[name=_save]")
    assert "saved to draft v2" in page.inner_text(".messagelist")
    draft = workflow.draft
    assert draft is not None
    trigger = draft.blocks.get(kind="trigger")
    assert trigger.config == {
        "cron": "30 7 * * *",
        "timezone": "America/New_York",
        "calendar": {"skip_weekends": True, "holidays": "US"},
    }
    console.shot("schedule-form-preview")

    schedule = TriggerSchedule.objects.get(workflow=workflow)
    console.go(f"/admin/workflows/triggerschedule/{schedule.pk}/change/")
    assert "no weekends" not in page.inner_text(".field-calendar")  # published: every weekday
    page.click("#pause")
    expect(page.locator(".field-schedule_state .readonly")).to_contain_text("Paused since")
    page.click("#resume")
    expect(page.locator(".field-schedule_state .readonly")).to_have_text("Running")
    page.click("#fire-now")
    expect(page.locator(".messagelist")).to_contain_text("Nightly Review: fired now")
    run = Run.objects.get()
    assert run.trigger_kind == TriggerKind.SCHEDULE and run.input["fired_now"] is True
    schedule.refresh_from_db()
    assert schedule.paused_at is None and schedule.next_fire_at is not None


def test_webhook_page_full_url_first_secret_and_signed_test_send(console: Console) -> None:
    page = console.page
    workflow = published(hr_hook()).workflow
    endpoint = WebhookEndpoint.objects.get(workflow=workflow)
    console.go("/admin/workflows/webhookendpoint/")
    page.check(f"input[name=_selected_action][value='{endpoint.pk}']")
    page.select_option("select[name=action]", "rotate_secret")
    page.click("button[name=index]")
    message = page.inner_text(".messagelist")
    assert "first secret" in message and "previous secret keeps working" not in message
    console.go(f"/admin/workflows/webhookendpoint/{endpoint.pk}/change/")
    url = page.inner_text("#webhook-url")
    assert url == f"{console.url}/hooks/{endpoint.token}/"
    assert "Standard Webhooks signature" in page.inner_text(".field-auth_mode")
    assert json.loads(page.inner_text("#webhook-mapping")) == {
        "mapping": {"user": "=payload.worker.userName"}
    }
    page.click("#test-send")
    answer = page.inner_text(".messagelist")
    assert "Test delivery answered HTTP 202" in answer and '"status": "accepted"' in answer
    run = Run.objects.get()
    assert run.input == {"user": "jane.doe"}  # signed, verified, mapped like a real delivery
    assert WebhookDelivery.objects.get().outcome == "accepted"
    console.shot("webhook-test-send")
