"""The review queue: parked executions, failing step and reason first; operator actions are
permission-checked and audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from audit.models import AuditEvent
from idconfluence.jobs.models import AdminJob
from tests.support.documents import four_step
from tests.support.factories import admin_user, journal_connector, published
from tests.support.jobs import run_open_items
from workflows.models import Execution, Run
from workflows.services.executions import execution_run
from workflows.services.runs import run_start

pytestmark = pytest.mark.django_db(transaction=True)
QUEUE = "/admin/workflows/parkedexecution/"


def parked_execution(tmp_path: Path) -> Execution:
    journal_connector(tmp_path, fail="permanent")
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    execution = run.executions.get()
    execution_run(execution_id=execution.pk)
    execution.refresh_from_db()
    return execution


def staff(username: str, *perms: str) -> Client:
    user = get_user_model().objects.create_user(username, password="pw-Staff-123", is_staff=True)
    for codename in ("view_execution", "view_parkedexecution", "view_workflow", *perms):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_the_queue_lists_parked_executions_failing_step_first(tmp_path: Path) -> None:
    execution = parked_execution(tmp_path)
    client = Client()
    client.force_login(admin_user())
    page = client.get(QUEUE).content.decode()
    assert "add_staff" in page
    assert "step add_staff failed: add_group_member refused by test config" in page
    columns = [page.index(f"column-{name}") for name in ("failed_step", "reason", "workflow")]
    assert columns == sorted(columns)
    detail = client.get(f"{QUEUE}{execution.pk}/change/").content.decode()
    assert "start" in detail and "is_joiner" in detail  # its steps, read-only


def test_retry_needs_the_operate_permission_and_is_audited(tmp_path: Path) -> None:
    execution = parked_execution(tmp_path)
    viewer = staff("viewer")
    response = viewer.post(QUEUE, {"action": "retry_selected", "_selected_action": [execution.pk]})
    assert Execution.objects.count() == 1  # no such action for a viewer
    assert response.status_code in (200, 302)

    operator = staff("operator", "operate_execution")
    confirm = operator.post(QUEUE, {"action": "retry_selected", "_selected_action": [execution.pk]})
    assert "<strong>1</strong> parked execution." in confirm.content.decode()
    assert Execution.objects.count() == 1  # the count is shown first
    operator.post(f"{QUEUE}act/retry/", {"ids": execution.pk, "confirm": "yes"})
    retry = Execution.objects.exclude(pk=execution.pk).get()
    assert (retry.start_block, retry.state, retry.retry_of_id) == (
        "add_staff",
        "queued",
        execution.pk,
    )
    event = AuditEvent.objects.get(action="run.retried")
    assert event.actor.username == "operator"


def test_bulk_retrigger_starts_one_new_run_per_parked_run(tmp_path: Path) -> None:
    first = parked_execution(tmp_path)
    run = run_start(workflow=first.run.workflow, input={"type": "HIRE", "user": "ann"})
    second = run.executions.get()
    execution_run(execution_id=second.pk)
    operator = staff("operator", "operate_execution")
    confirm = operator.post(
        QUEUE, {"action": "retrigger_selected", "_selected_action": [first.pk, second.pk]}
    )
    assert "<strong>2</strong> parked executions (2 runs)" in confirm.content.decode()
    response = operator.post(
        f"{QUEUE}act/retrigger/", {"ids": f"{first.pk},{second.pk}", "confirm": "yes"}
    )
    job = AdminJob.objects.get()  # two selected: a background job, answered at once
    assert response.status_code == 302
    assert response["Location"] == f"/admin/jobs/adminjob/{job.pk}/change/"
    assert not Run.objects.filter(trigger_kind="retrigger").exists()
    assert run_open_items() == ["done", "done"]
    assert run_open_items() == []  # nothing left, nothing done twice
    page = operator.get(response["Location"]).content.decode()
    assert "2 done, 0 failed, 0 remaining" in page
    new_runs = Run.objects.filter(trigger_kind="retrigger")
    assert sorted(r.input["user"] for r in new_runs) == ["ann", "jo"]
    assert AuditEvent.objects.filter(action="run.started", actor__username="operator").count() == 2
    assert not Execution.objects.filter(state="parked").exists()  # both resolved


def test_the_queue_says_when_a_change_may_have_been_applied(tmp_path: Path) -> None:
    execution = parked_execution(tmp_path)
    client = Client()
    client.force_login(admin_user())
    assert "yes: add_staff" not in client.get(QUEUE).content.decode()
    execution.steps.filter(block_key="add_staff").update(state="unknown")
    page = client.get(QUEUE).content.decode()
    assert "column-may_have_been_applied" in page
    assert "yes: add_staff (retry reconciles first)" in page
