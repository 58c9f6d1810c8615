"""Management commands that act for a person (`--user`) check the same rules as the console:
refused without the right, named in the audit log with it; an unknown or inactive name is an
error, never a silent fall back to acting as the system."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from tests.access.conftest import World, joiner
from workflows.models import Run, Workflow
from workflows.models_triggers import WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_run_workflow_is_refused_for_a_user_without_run(world: World) -> None:
    runs = Run.objects.count()
    for name in ("nobody", "auditor", "approver"):
        with pytest.raises(CommandError, match="You may not run workflow"):
            call_command("run_workflow", "my-joiner", "--user", name)
    assert Run.objects.count() == runs


def test_run_workflow_runs_for_the_owner_and_names_them(world: World) -> None:
    out = io.StringIO()
    call_command("run_workflow", "my-joiner", "--user", "compliance", stdout=out)
    run = Run.objects.get(pk=json.loads(out.getvalue())["id"])
    assert run.started_by == world.people["compliance"]
    assert AuditEvent.objects.filter(action="run.started", actor=run.started_by).exists()


def test_an_unknown_or_inactive_user_is_an_error(world: World) -> None:
    with pytest.raises(CommandError, match="no active user named 'ghost'"):
        call_command("run_workflow", "my-joiner", "--user", "ghost")
    world.people["compliance"].is_active = False
    world.people["compliance"].save()
    with pytest.raises(CommandError, match="no active user named 'compliance'"):
        call_command("run_workflow", "my-joiner", "--user", "compliance")


def test_import_needs_add_for_a_new_workflow_and_change_for_an_existing_one(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(joiner("ops-joiner", "my-directory")))
    with pytest.raises(CommandError, match="You may not add workflows"):
        call_command("import_workflow", str(path), "--user", "operator")
    assert not Workflow.objects.filter(slug="ops-joiner").exists()

    path.write_text(json.dumps(joiner("their-joiner", "my-directory")))
    with pytest.raises(CommandError, match="You may not change workflow"):
        call_command("import_workflow", str(path), "--user", "compliance", "--replace-draft")


def test_export_hides_a_workflow_the_user_may_not_view(world: World) -> None:
    with pytest.raises(CommandError, match="no workflow with slug 'their-joiner'"):
        call_command("export_workflow", "their-joiner", "--user", "compliance")
    out = io.StringIO()
    call_command("export_workflow", "my-joiner", "--user", "compliance", stdout=out)
    assert json.loads(out.getvalue())["workflow"]["slug"] == "my-joiner"


def test_webhook_secret_needs_change_on_the_workflow(world: World) -> None:
    WebhookEndpoint.objects.create(workflow=world.theirs)
    with pytest.raises(CommandError, match="refused: You may not change workflow"):
        call_command("webhook_secret", "their-joiner", "--user", "operator")
