"""A connector's secret never reaches steps, run context, audit details, logs or admin pages, even
when the connector's own error message contains it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.support.documents import four_step
from tests.support.factories import admin_user, journal_connector, published
from workflows.models import Execution, Run, Step
from workflows.services.executions import execution_run
from workflows.services.runs import run_start

pytestmark = pytest.mark.django_db(transaction=True)
SECRET = "tok-SECRET-journal-123"  # the journal connector's token (tests/support/factories.py)


def test_secret_in_a_connector_error_is_redacted_everywhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    journal_connector(tmp_path, fail="permanent")  # its message names the token
    version = published(four_step())
    run = run_start(
        workflow=version.workflow,
        input={"type": "HIRE", "user": "jo", "api_key": "event-level-secret"},
    )
    execution = run.executions.get()
    execution_run(execution_id=execution.pk)
    execution.refresh_from_db()
    run.refresh_from_db()
    assert execution.state == "parked" and "***" in execution.failure_reason

    stored = [execution.failure_reason, str(run.context)]
    stored += [f"{s.input}{s.output}{s.error}" for s in Step.objects.all()]
    stored += [f"{e.details}{e.target_label}" for e in AuditEvent.objects.all()]
    stored.append(caplog.text)
    client = Client()
    client.force_login(admin_user())
    for url in (
        f"/admin/workflows/run/{run.pk}/change/",
        f"/admin/workflows/execution/{execution.pk}/change/",
        "/admin/workflows/parkedexecution/",
        f"/admin/workflows/step/{Step.objects.get(block_key='add_staff').pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        stored.append(response.content.decode())
    for text in stored:
        assert SECRET not in text
    step_text = "".join(f"{s.input}{s.output}" for s in Step.objects.all())
    assert "event-level-secret" not in step_text  # secret-looking event fields are masked
    assert Run.objects.count() == 1 and Execution.objects.count() == 1


def test_an_exported_workflow_document_names_connectors_never_their_secrets(
    tmp_path: Path,
) -> None:
    from workflows import documents

    journal_connector(tmp_path)
    version = published(four_step())
    text = documents.dumps(documents.version_document(version))
    assert '"connector": "journal"' in text
    assert SECRET not in text


def test_an_unexpected_connector_error_fails_the_step_redacted(tmp_path: Path) -> None:
    journal_connector(tmp_path, crash=True)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    execution = run.executions.get()
    execution_run(execution_id=execution.pk)
    execution.refresh_from_db()
    assert execution.state == "parked"
    assert execution.failure_reason == (
        "step add_staff failed: unexpected RuntimeError: boom with ***"
    )
    step = execution.steps.get(block_key="add_staff")
    assert step.state == "failed" and SECRET not in str(step.output) + step.error
