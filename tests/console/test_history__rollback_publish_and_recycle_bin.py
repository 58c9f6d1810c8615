"""History: publish with a change note, who published what and when, roll back to a new draft;
the recycle bin: deleting keeps runs and audit, a deleted workflow fires no webhook and no
schedule, restoring brings it back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from tests.support.documents import four_step
from tests.support.factories import admin_user, journal_connector, published
from tests.triggers.conftest import market_close, sample, webhook_sender
from workflows.models import Run, TriggerSchedule, Workflow, WorkflowVersion
from workflows.services.runs import NotRunnable, run_start
from workflows.services.schedules import schedules_fire_due
from workflows.services.versions import draft_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(db: None) -> Client:
    client = Client()
    client.force_login(admin_user())
    return client


def test_publish_with_a_change_note_shows_in_the_history(
    tmp_path: Path, admin_client_: Client
) -> None:
    journal_connector(tmp_path)
    workflow = published(four_step()).workflow
    draft = draft_save(workflow=workflow, document=four_step(), actor=None)
    page = admin_client_.get(f"/admin/workflows/workflowversion/{draft.pk}/change/")
    assert 'id="publish-link"' in page.content.decode()
    url = f"/admin/workflows/workflowversion/{draft.pk}/publish/"  # the four-eyes review page
    review = admin_client_.get(url)
    assert review.status_code == 200 and 'name="change_note"' in review.content.decode()
    reviewed = {"reviewed_checksum": draft.checksum}
    refused = admin_client_.post(url, {"change_note": "bad\x07note", **reviewed})
    assert refused.status_code == 400 and 'class="errorlist' in refused.content.decode()
    draft.refresh_from_db()
    assert draft.state == "draft"  # nothing half-written
    done = admin_client_.post(url, {"change_note": "Staff group renamed", **reviewed})
    assert done.status_code == 302
    assert done["Location"] == f"/admin/workflows/workflow/{workflow.pk}/versions/"
    draft.refresh_from_db()
    assert (draft.state, draft.change_note, draft.published_by.username) == (
        "published",
        "Staff group renamed",
        "admin",
    )
    history = admin_client_.get(f"/admin/workflows/workflow/{workflow.pk}/versions/")
    text = history.content.decode()
    assert 'id="version-2"' in text and "Staff group renamed" in text and "admin" in text
    event = AuditEvent.objects.get(action="workflow.published", details__number=2)
    assert event.details["change_note"] == "Staff group renamed"


def test_roll_back_makes_a_new_draft_with_the_old_content(
    tmp_path: Path, admin_client_: Client
) -> None:
    journal_connector(tmp_path)
    v1 = published(four_step())
    changed = four_step()
    changed["blocks"][2]["config"]["args"]["group"] = "Employees"
    published(changed)
    workflow = v1.workflow
    answer = admin_client_.post(f"/admin/workflows/workflow/{workflow.pk}/versions/1/rollback/")
    draft = workflow.versions.get(state="draft")
    assert answer["Location"] == f"/admin/workflows/workflowversion/{draft.pk}/change/"
    assert draft.number == 3 and draft.checksum == v1.checksum
    again = admin_client_.post(
        f"/admin/workflows/workflow/{workflow.pk}/versions/1/rollback/", follow=True
    )
    assert "already has a draft" in again.content.decode()
    assert workflow.versions.count() == 3
    missing = admin_client_.post(
        f"/admin/workflows/workflow/{workflow.pk}/versions/99/rollback/", follow=True
    )
    assert "has no version 99" in missing.content.decode()
    assert (
        admin_client_.get(
            f"/admin/workflows/workflow/{workflow.pk}/versions/1/rollback/"
        ).status_code
        == 302
    )
    assert (
        AuditEvent.objects.filter(action="workflow.draft_created").exists()
        or AuditEvent.objects.filter(action="workflow.rolled_back").exists()
    )


def test_a_published_version_is_drawn_read_only(tmp_path: Path, admin_client_: Client) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    page = admin_client_.get(f"/admin/workflows/workflowversion/{version.pk}/change/")
    text = page.content.decode()
    assert '<svg class="workflow-graph"' in text and 'id="block-add_staff"' in text
    assert 'name="blocks-0-key"' not in text  # no editable inline for a published version


def test_delete_moves_to_the_recycle_bin_and_restore_brings_it_back(
    tmp_path: Path, admin_client_: Client
) -> None:
    journal_connector(tmp_path)
    workflow = published(four_step()).workflow
    run = run_start(workflow=workflow, input={"type": "HIRE", "user": "jo"})
    url = f"/admin/workflows/workflow/{workflow.pk}/delete/"
    assert "moves to the recycle bin" in admin_client_.get(url).content.decode()
    assert admin_client_.post(url, {"post": "yes"}).status_code == 302
    workflow.refresh_from_db()
    assert workflow.deleted_at is not None
    assert Run.objects.filter(pk=run.pk).exists()  # runs stay
    assert "four-step" not in admin_client_.get("/admin/workflows/workflow/").content.decode()
    assert "four-step" in admin_client_.get("/admin/workflows/deletedworkflow/").content.decode()
    with pytest.raises(NotRunnable, match="recycle bin"):
        run_start(workflow=workflow, input={})
    admin_client_.post(
        "/admin/workflows/deletedworkflow/",
        {"action": "restore", "_selected_action": [workflow.pk]},
    )
    workflow.refresh_from_db()
    assert workflow.deleted_at is None
    assert "four-step" in admin_client_.get("/admin/workflows/workflow/").content.decode()
    actions = list(
        AuditEvent.objects.filter(target_id=str(workflow.pk)).values_list("action", flat=True)
    )
    assert "workflow.deleted" in actions and "workflow.restored" in actions


def test_a_deleted_workflow_fires_no_webhook_until_restored(client: Client) -> None:
    sender = webhook_sender(client, slug="plain")
    workflow = Workflow.objects.get(slug="plain")
    from workflows.services.recycle import workflow_delete, workflow_restore

    workflow_delete(workflow=workflow, actor=None)
    refused = sender.post(sample("workday-hire"), msg_id="msg_deleted")
    assert refused.status_code == 404
    assert not Run.objects.exists()
    workflow_restore(workflow=workflow, actor=None)
    assert sender.post(sample("workday-hire"), msg_id="msg_back").status_code == 202
    assert Run.objects.count() == 1


def test_a_deleted_workflow_fires_no_schedule() -> None:
    published(market_close())
    workflow = Workflow.objects.get(slug="market-close")
    schedule = TriggerSchedule.objects.get(workflow=workflow)
    from workflows.services.recycle import workflow_delete

    workflow_delete(workflow=workflow, actor=None)
    due = timezone.now() - timedelta(minutes=1)
    TriggerSchedule.objects.filter(pk=schedule.pk).update(next_fire_at=due)
    assert schedules_fire_due() == 0
    assert not Run.objects.exists()
    schedule.refresh_from_db()
    assert schedule.next_fire_at is not None and schedule.next_fire_at > due


def test_deleting_twice_or_restoring_a_live_workflow_says_why(tmp_path: Path) -> None:
    from workflows.services.recycle import NotInRecycleBin, workflow_delete, workflow_restore

    journal_connector(tmp_path)
    workflow = published(four_step()).workflow
    with pytest.raises(NotInRecycleBin, match="not in the recycle bin"):
        workflow_restore(workflow=workflow, actor=None)
    workflow_delete(workflow=workflow, actor=None)
    with pytest.raises(NotInRecycleBin, match="already"):
        workflow_delete(workflow=workflow, actor=None)
    assert WorkflowVersion.objects.filter(workflow=workflow).count() == 1


def test_importing_over_a_deleted_workflow_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    from workflows.documents import DocumentError
    from workflows.services.recycle import workflow_delete
    from workflows.services.versions import workflow_import

    journal_connector(tmp_path)
    workflow = published(four_step()).workflow
    workflow_delete(workflow=workflow, actor=None)
    with pytest.raises(DocumentError, match="is in the recycle bin; restore it first"):
        workflow_import(document=four_step(), actor=None)
    assert workflow.versions.count() == 1


def test_roll_back_and_publish_need_their_permissions(tmp_path: Path) -> None:
    from tests.console.support import staff

    journal_connector(tmp_path)
    v1 = published(four_step())
    draft = draft_save(workflow=v1.workflow, document=four_step(), actor=None)
    viewer, _ = staff("viewer", "view_workflow", "view_workflowversion")
    url = f"/admin/workflows/workflow/{v1.workflow_id}/versions/1/rollback/"
    assert viewer.get(f"/admin/workflows/workflow/{v1.workflow_id}/versions/").status_code == 200
    assert viewer.post(url).status_code == 403
    publish = f"/admin/workflows/workflowversion/{draft.pk}/publish/"
    assert viewer.post(publish, {"change_note": "sneaky"}).status_code == 403
    draft.refresh_from_db()
    assert draft.state == "draft" and v1.workflow.versions.count() == 2
    page = viewer.get(f"/admin/workflows/workflowversion/{draft.pk}/change/").content.decode()
    assert 'id="publish-link"' not in page
