"""An auditor reads every API endpoint of the schema (200) and every unsafe operation of the
schema is refused (403 with a message), changing nothing: the audit log and every table the
API writes are as they were. Driven by the generated schema, so a new endpoint is covered."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from approvals.models import ApprovalTask
from audit.models import AuditEvent
from connectors.models import Connector
from tests.api.conftest import client_for, role_user
from tests.approvals.support import waiting_run
from tests.support.factories import published
from tests.triggers.conftest import triggered
from workflows.models import Execution, Run, Workflow, WorkflowVersion
from workflows.services.versions import draft_from_version

pytestmark = pytest.mark.django_db
UNSAFE = ("post", "put", "patch", "delete")
# The builder's checks: a POST only because they carry a body; they compute an answer and write
# nothing (the state below proves it), and the builder lets a viewer call them.
CHECKS = {
    "/api/v1/builder/block-types/outcomes/",
    "/api/v1/builder/expressions/check/",
    "/api/v1/builder/workflows/{id}/draft/validate/",
}


def _ids() -> dict[str, Any]:
    version = published(triggered("audited-hires", "webhook"))
    hooked = version.workflow
    draft_from_version(version=version, actor=None)  # the builder reads it (never makes it)
    run, task = waiting_run()
    connector = Connector(name="directory", type="local", config={})
    connector.save()
    return {
        "workflows": hooked.pk,
        "runs": run.pk,
        "executions": run.executions.get().pk,
        "connectors": connector.pk,
        "tasks": task.pk,
        "events": AuditEvent.objects.order_by("seq").values_list("seq", flat=True).first(),
    }


def _url(path: str, ids: dict[str, Any]) -> str:
    """/api/v1/runs/{id}/ -> /api/v1/runs/7/ (the id of the resource the path is under)."""
    parts = path.split("/")
    if "{id}" in parts:
        resource = parts[parts.index("{id}") - 1]
        path = path.replace("{id}", str(ids[resource]))
    return (
        path.replace("{workflow_pk}", str(ids["workflows"]))
        .replace("{number}", "1")
        .replace("{seq}", str(ids["events"]))
    )


def _state() -> list[Any]:
    return [
        AuditEvent.objects.count(),
        list(Workflow.objects.values_list("pk", "name", "description")),
        list(WorkflowVersion.objects.values_list("pk", "state")),
        list(Run.objects.values_list("pk", "state")),
        list(Execution.objects.values_list("pk", "state")),
        list(Connector.objects.values_list("pk", "description", "config", "health_checked_at")),
        list(ApprovalTask.objects.values_list("pk", "state")),
    ]


def test_an_auditor_reads_everything_and_changes_nothing(client: Client) -> None:
    ids = _ids()
    auditor = client_for(role_user("auditor"))
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    before = _state()
    read, refused = [], []

    for path, operations in schema["paths"].items():
        url = _url(path, ids)
        for method in operations:
            if method == "get":
                response = auditor.get(url)
                assert response.status_code == 200, (url, response.content[:300])
                read.append(url)
            elif method == "post" and path in CHECKS:
                response = auditor.post(url, {}, format="json")
                assert response.status_code in (200, 400), (url, response.content[:300])
            elif method in UNSAFE:
                response = getattr(auditor, method)(url, {}, format="json")
                assert response.status_code == 403, (method, url, response.content[:300])
                assert response.json()["detail"]
                refused.append((method, url))

    assert _state() == before
    assert len(read) >= 20 and len(refused) >= 12
    assert any("/audit/events/" in url for url in read)
