"""Issue 9: every text that reaches the database is checked at the boundary. Names and labels
refuse control characters (CR, LF, ESC, NUL, DEL, C1...); descriptions keep tab and line breaks
and refuse the rest. A form, the admin, `full_clean()` and `import_workflow` answer a validation
error naming the field, never a 500 or a database error."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from connectors.models import Connector
from idconfluence.validators import multi_line, single_line
from tests.support.documents import four_step
from tests.support.factories import admin_user
from workflows.documents import DocumentError
from workflows.models import Block, Workflow, WorkflowVersion
from workflows.services.versions import workflow_import

CONTROLS = {"CR": "\r", "LF": "\n", "ESC": "\x1b", "NUL": "\x00", "DEL": "\x7f", "C1 NEL": "\x85"}


@pytest.mark.parametrize("char", CONTROLS.values(), ids=CONTROLS.keys())
def test_single_line_text_refuses_every_control_character(char: str) -> None:
    with pytest.raises(ValidationError) as caught:
        single_line(f"HR{char}feed")
    assert caught.value.messages == [
        f"Control characters are not allowed: found U+{ord(char):04X} at position 3."
    ]
    single_line("Joiners — Müller & Søn (EU)")  # any printable text is fine


def test_multi_line_text_keeps_tab_and_line_breaks_only() -> None:
    multi_line("Line one\r\nLine two\n\tindented")
    for char in ("\x1b", "\x00", "\x7f", "\x08"):
        with pytest.raises(ValidationError) as caught:
            multi_line(f"red{char}[31m")
        assert "(tab and line breaks are fine)" in caught.value.messages[0]


@pytest.mark.django_db
def test_full_clean_names_the_field() -> None:
    workflow = Workflow(slug="w", name="Joiners\x1b[2J", description="ok\x00")
    with pytest.raises(ValidationError) as caught:
        workflow.full_clean(exclude=["owner"])
    assert set(caught.value.message_dict) == {"name", "description"}
    block = Block(key="start\n", kind="trigger", type="manual", label="a\rb")
    with pytest.raises(ValidationError) as caught:
        block.full_clean(exclude=["version"])
    assert set(caught.value.message_dict) == {"key", "label"}  # `$` used to let "start\n" pass
    connector = Connector(name="hr-scim\n", type="scim", description="\x1b]0;pwned\x07")
    with pytest.raises(ValidationError) as caught:
        connector.full_clean()
    assert {"name", "description"} <= set(caught.value.message_dict)


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(admin_user())
    return client


def test_the_workflow_admin_answers_a_field_error_not_a_500(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/workflows/workflow/add/",
        {
            "slug": "joiners",
            "name": "Joiners\x1b[31m",
            "description": "",
            "enabled": "on",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["name"] == ["Control characters are not allowed: found U+001B at position 8."]
    assert not Workflow.objects.exists()


def test_the_connector_admin_answers_a_field_error_not_a_500(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/connectors/connector/add/",
        {
            "name": "hr-scim",
            "type": "scim",
            "description": "HR \x1b[2J feed",
            "enabled": "on",
            "config": '{"base_url": "https://scim.example.org/v2", "auth": "bearer"}',
            "secret__token": "",
            "secret__password": "",
            "secret__client_secret": "",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Control characters are not allowed" in errors["description"][0]
    assert not Connector.objects.exists()


def _import(tmp_path: Path, document: dict[str, Any]) -> str:
    file = tmp_path / "doc.json"
    file.write_text(json.dumps(document))
    with pytest.raises(CommandError) as caught:
        call_command("import_workflow", str(file), stdout=StringIO())
    return str(caught.value)


@pytest.mark.django_db
def test_import_workflow_with_a_nul_in_the_name_prints_a_validation_error(tmp_path: Path) -> None:
    document = four_step()
    document["workflow"]["name"] = "Four\x00step"
    message = _import(tmp_path, document)
    assert "$.workflow.name: a string holding NUL (\\u0000) (no_nul)" in message
    assert not Workflow.objects.exists() and not WorkflowVersion.objects.exists()


@pytest.mark.django_db
def test_import_workflow_names_each_field_holding_a_control_character(tmp_path: Path) -> None:
    document = four_step()
    document["workflow"]["name"] = "Four\x1b[2Jstep"
    document["blocks"][2]["label"] = "Add\r\nstaff"
    message = _import(tmp_path, document)
    assert message.splitlines() == [
        "invalid workflow document:",
        "  workflow/name: Control characters are not allowed: found U+001B at position 5.",
        "  blocks/2/label: Control characters are not allowed: found U+000D at position 4.",
    ]
    assert not Workflow.objects.exists()


@pytest.mark.django_db
def test_a_multi_line_description_still_imports() -> None:
    document = four_step()
    document["workflow"]["description"] = "Joiners.\nTwo lines."
    version = workflow_import(document=document, actor=None)
    assert version.workflow.description == "Joiners.\nTwo lines."
    document["workflow"]["description"] = "bell\x07"
    with pytest.raises(DocumentError) as caught:
        workflow_import(document=document, actor=None)
    assert caught.value.errors[0].startswith("workflow/description: Control characters")
