"""The workflow document: schema checks, export -> import -> export identity, the commands."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from connectors.models import Connector
from tests.support.documents import four_step
from tests.support.factories import journal_connector
from workflows import documents
from workflows.models import Workflow, WorkflowVersion

pytestmark = pytest.mark.django_db
DEMO = Path(__file__).resolve().parents[2] / "workflows" / "demo" / "joiner.json"


def run_command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_schema_is_committed_and_checks_documents() -> None:
    assert documents.SCHEMA_PATH.exists()
    documents.check(json.loads(DEMO.read_text()))
    with pytest.raises(documents.DocumentError) as caught:
        documents.check(
            {
                "format": "idconfluence.workflow/v1",
                "workflow": {"slug": "x"},
                "blocks": [{"key": "Bad Key", "kind": "trigger", "type": "manual"}],
                "edges": [],
            }
        )
    text = str(caught.value)
    assert "workflow: 'name' is a required property" in text
    assert "blocks/0/key" in text


def test_export_import_export_gives_the_same_document(tmp_path: Path) -> None:
    Connector.objects.create(name="local-directory", type="local")
    first_path = tmp_path / "first.json"
    (tmp_path / "demo.json").write_text(DEMO.read_text())
    assert run_command("import_workflow", str(tmp_path / "demo.json"), "--publish").strip() == (
        "joiner-standard-access v1 published"
    )
    run_command("export_workflow", "joiner-standard-access", "--out", str(first_path))
    first = json.loads(first_path.read_text())
    assert "v2 draft" in run_command("import_workflow", str(first_path))
    second = json.loads(run_command("export_workflow", "joiner-standard-access", "--version", "2"))
    assert first == second
    assert first == json.loads(DEMO.read_text()) | {"blocks": first["blocks"]}


def test_import_refuses_bad_input_and_leaves_nothing_behind(tmp_path: Path) -> None:
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        run_command("import_workflow", str(bad_json))
    invalid = four_step()
    invalid["edges"].pop()  # notify becomes unreachable
    path = tmp_path / "invalid.json"
    path.write_text(json.dumps(invalid))
    with pytest.raises(CommandError) as caught:
        run_command("import_workflow", str(path), "--publish")
    assert "notify: not reachable from the trigger" in str(caught.value)
    assert not Workflow.objects.exists()
    assert not WorkflowVersion.objects.exists()


def test_export_of_a_chosen_version(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(four_step()))
    run_command("import_workflow", str(path), "--publish")
    changed = four_step()
    changed["blocks"][1]["config"]["expression"] = "event.type == 'REHIRE'"
    path.write_text(json.dumps(changed))
    run_command("import_workflow", str(path), "--publish")
    v1 = json.loads(run_command("export_workflow", "four-step", "--version", "1"))
    v2 = json.loads(run_command("export_workflow", "four-step"))
    assert v1["blocks"][1]["config"]["expression"] == "event.type == 'HIRE'"
    assert v2["blocks"][1]["config"]["expression"] == "event.type == 'REHIRE'"
    with pytest.raises(CommandError, match="has no version 9"):
        run_command("export_workflow", "four-step", "--version", "9")
