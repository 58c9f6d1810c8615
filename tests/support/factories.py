"""Small builders for database tests: users, connectors, published workflows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from connectors.models import Connector
from workflows.models import Execution, Run, WorkflowVersion
from workflows.services.executions import execution_run
from workflows.services.versions import workflow_import


def admin_user(username: str = "admin") -> Any:
    user_model = get_user_model()
    return user_model.objects.create_superuser(username, f"{username}@acme.example", "pw-Admin-123")


def journal_connector(tmp_path: Path, name: str = "journal", **config: Any) -> Connector:
    connector = Connector(
        name=name, type="journal", config={"journal": str(tmp_path / f"{name}.jsonl"), **config}
    )
    connector.set_secrets({"token": "tok-SECRET-journal-123"})
    connector.save()
    return connector


def published(document: dict[str, Any], actor: Any = None) -> WorkflowVersion:
    return workflow_import(document=document, actor=actor, publish=True)


def perform(run: Run) -> Execution:
    """Perform the run's latest execution in this process and return it as stored."""
    execution = run.executions.order_by("-number").first()
    assert execution is not None
    execution_run(execution_id=execution.pk)
    execution.refresh_from_db()
    return execution
