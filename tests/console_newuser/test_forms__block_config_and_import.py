"""Server side of the console forms: a block's config is refused with the engine's own messages
(schema, CEL compile with its column), the import page needs a permission and writes nothing
from a refused document."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from workflows.admin.block_form import BlockForm
from workflows.admin.imports import ImportDocumentForm
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


def block_form(**fields: object) -> BlockForm:
    data = {"key": "check", "kind": "logic", "type": "condition", "label": "", "position_x": 0}
    data.update({"position_y": 0, **fields})
    return BlockForm(data=data)


def test_bad_cel_is_a_config_error_with_its_column() -> None:
    form = block_form(config=json.dumps({"expression": "event.a ==="}))
    assert not form.is_valid()
    [message] = form.errors["config"]
    assert "invalid expression `event.a ===`" in message and "at column" in message


def test_schema_and_type_errors_name_the_field() -> None:
    missing = block_form(config="{}")
    assert not missing.is_valid()
    assert "'expression' is a required property" in missing.errors["config"][0]
    unknown = block_form(type="wizardry", config="{}")
    assert not unknown.is_valid()
    assert "unknown block type logic/wizardry" in unknown.errors["type"][0]
    assert block_form(config=json.dumps({"expression": "event.a == 1"})).is_valid()


def test_import_form_needs_exactly_one_source_and_a_valid_document() -> None:
    assert "Upload a file or paste" in str(ImportDocumentForm(data={}).errors)
    form = ImportDocumentForm(data={"text": '{"format": "idconfluence.workflow/v1"}'})
    assert not form.is_valid()
    assert "(document): 'workflow' is a required property" in form.non_field_errors()
    nan = ImportDocumentForm(data={"text": '{"a": NaN}'})
    assert not nan.is_valid()


def test_import_page_refuses_a_user_without_workflow_rights() -> None:
    user = get_user_model().objects.create_user("eve", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    answer = client.post("/admin/workflows/workflow/import/", {"text": "{}"})
    assert answer.status_code == 403
    assert not Workflow.objects.exists()
