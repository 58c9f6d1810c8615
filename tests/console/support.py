"""Builders for the console tests: parked executions of a known signature, staff clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from workflows.models import Execution, WorkflowVersion
from workflows.services.executions import execution_run
from workflows.services.runs import run_start

QUEUE = "/admin/workflows/parkedexecution/"


def failing_workflow(tmp_path: Path, slug: str = "four-step", connector: str = "journal") -> Any:
    """A published four_step whose add_staff call the connector refuses (failed_permanent)."""
    journal_connector(tmp_path, name=connector, fail="permanent")
    return published(four_step(slug, connector=connector))


def park(version: WorkflowVersion, user: str) -> Execution:
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": user})
    execution = run.executions.get()
    execution_run(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.state == "parked", execution.failure_reason
    return execution


def staff(username: str, *codenames: str) -> tuple[Client, Any]:
    user = get_user_model().objects.create_user(username, password="pw-Staff-123", is_staff=True)
    for codename in ("view_execution", "view_parkedexecution", *codenames):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client, user
