"""Every refusal is JSON with a message, whatever went wrong: no CSRF token under the console's
session, a hostile or malformed body, a stale action on an object whose state moved on, an
invalid draft; and nothing is half-written."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.api.conftest import client_for
from tests.support.documents import block, document, edge
from tests.support.factories import published
from tests.triggers.conftest import triggered
from workflows.models import Workflow, WorkflowVersion
from workflows.services.runs import run_cancel, run_start

pytestmark = pytest.mark.django_db
IMPORT = "/api/v1/workflows/import/"


@pytest.fixture
def admin():
    return get_user_model().objects.create_superuser("root", "root@acme.example", "pw-Root-123")


def test_session_writes_need_the_csrf_token(admin) -> None:
    console = Client(enforce_csrf_checks=True)
    console.force_login(admin)
    body = json.dumps({"slug": "by-session", "name": "By session"})

    refused = console.post("/api/v1/workflows/", body, content_type="application/json")

    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not Workflow.objects.filter(slug="by-session").exists()
    console.get("/admin/")  # the console's page sets the cookie
    token = console.cookies["csrftoken"].value
    accepted = console.post(
        "/api/v1/workflows/", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert accepted.status_code == 201, accepted.content


HOSTILE = {
    "not JSON": b'{"document": ',
    "too deep": b'{"document": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    "NaN": b'{"document": {"format": NaN}}',
    "a 400-digit integer": b'{"document": {"n": ' + b"9" * 400 + b"}}",
    "a NUL": b'{"document": {"format": "\\u0000"}}',
    "a lone surrogate": b'{"document": {"format": "\\ud800"}}',
    "a duplicate key": b'{"document": {}, "document": {}}',
    "invalid UTF-8": b'{"document": "\xff\xfe"}',
    "a list, not a document": b'{"document": [1, 2]}',
    "not a workflow document": b'{"document": {"format": "something/else"}}',
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_bodies_are_a_400_saying_what(admin, body: bytes) -> None:
    response = client_for(admin).post(IMPORT, body, content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert response.json()["detail"]
    assert not Workflow.objects.exists()


def test_other_content_types_and_methods_are_refused_in_json(admin) -> None:
    api = client_for(admin)
    form = api.post(IMPORT, "a=1", content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415 and form.json()["detail"]
    wrong = api.delete("/api/v1/workflows/")
    assert wrong.status_code == 405 and wrong.json()["detail"]
    missing = api.get("/api/v1/workflows/999999999999999999999/")
    assert missing.status_code == 404 and missing.json()["detail"]
    bad_filter = api.get("/api/v1/runs/", {"created_after": "yesterday-ish", "workflow": "1.5"})
    assert bad_filter.status_code == 400 and bad_filter.json()["detail"]
    # Offsets PostgreSQL refuses, and instants that leave years 1..9999 once in UTC (found by
    # Schemathesis): read in UTC, or a 400 saying which parameter.
    odd_offset = api.get("/api/v1/runs/", {"created_after": "0400-05-04T03:32:09-22:16"})
    assert odd_offset.status_code == 200, odd_offset.content
    too_early = api.get("/api/v1/executions/", {"queued_after": "0001-01-01T00:00:00+05:00"})
    assert too_early.status_code == 400 and "queued_after" in too_early.json()["detail"]
    nowhere = api.post("/api/v1/workflows/12/no-such-thing/", {}, format="json")
    assert nowhere.status_code == 404 and "No API endpoint" in nowhere.json()["detail"]


def test_an_invalid_draft_is_refused_by_block_and_nothing_goes_live(admin) -> None:
    broken = document(
        "broken",
        [block("start", "trigger", "manual"), block("check", "logic", "condition")],
        [edge("start", "check")],
    )
    api = client_for(admin)
    imported = api.post(IMPORT, {"document": broken}, format="json")
    assert imported.status_code == 201, imported.content
    workflow = Workflow.objects.get(slug="broken")

    refused = api.post(f"/api/v1/workflows/{workflow.pk}/publish/", {}, format="json")

    assert refused.status_code == 400
    assert "check" in refused.json()["errors"], refused.json()
    assert not WorkflowVersion.objects.filter(workflow=workflow, state="published").exists()
    again = api.post(IMPORT, {"document": broken}, format="json")
    assert again.status_code == 409 and "already has a draft" in again.json()["detail"]
    stale = api.post(f"/api/v1/workflows/{workflow.pk}/publish/", {"version": 7}, format="json")
    assert stale.status_code == 400 and "the draft is v1" in stale.json()["detail"]


def test_stale_operator_actions_are_a_409_saying_why(admin) -> None:
    workflow = published(triggered("stale", "manual")).workflow
    run = run_start(workflow=workflow, input={})
    run_cancel(run=run, actor=None)
    api = client_for(admin)

    cancel = api.post(f"/api/v1/runs/{run.pk}/cancel/", {}, format="json")
    retry = api.post(f"/api/v1/executions/{run.executions.get().pk}/retry/")

    assert cancel.status_code == 409 and "nothing to cancel" in cancel.json()["detail"]
    assert retry.status_code == 409 and "not parked" in retry.json()["detail"]
    disabled = Workflow.objects.filter(pk=workflow.pk)
    disabled.update(enabled=False)
    run_now = api.post(f"/api/v1/workflows/{workflow.pk}/run/", {}, format="json")
    assert run_now.status_code == 409 and "disabled" in run_now.json()["detail"]
