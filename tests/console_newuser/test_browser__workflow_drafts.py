"""Add workflow gives the new workflow its first draft; a document is imported from the console
with its errors listed; an invalid CEL expression is refused next to the block's config field,
and the draft's checksum follows every edit."""

from __future__ import annotations

import json

import pytest

from tests.console_newuser.conftest import Console
from tests.console_newuser.support import demo_document
from workflows import documents
from workflows.models import Workflow, WorkflowVersion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_add_workflow_creates_its_first_draft(console: Console) -> None:
    page = console.page
    console.go("/admin/workflows/workflow/add/")
    assert page.locator("#import-instead a").get_attribute("href") == (
        "/admin/workflows/workflow/import/"
    )
    page.fill("#id_name", "Contractor onboarding")
    page.click("input[name=_save]")
    link = page.locator(".messagelist a", has_text="v1")
    link.click()
    page.wait_for_url("**/workflowversion/*/change/")
    assert page.locator("#id_blocks-0-key").input_value() == "start"
    assert page.locator("#id_blocks-0-kind").input_value() == "trigger"
    draft = Workflow.objects.get(slug="contractor-onboarding").draft
    assert draft is not None and draft.blocks.count() == 1
    assert draft.checksum == documents.checksum(documents.version_document(draft))
    console.shot("add-workflow-first-draft")


def test_import_document_lists_errors_then_imports(console: Console) -> None:
    page = console.page
    console.go("/admin/workflows/workflow/")
    page.click("text=Import document")
    broken = demo_document()
    broken["blocks"][0]["kind"] = "sorcery"
    del broken["workflow"]["name"]
    page.fill("#id_text", json.dumps(broken))
    page.click("input[type=submit][value=Import]")
    errors = page.locator("#import-errors").inner_text()
    assert "workflow: 'name' is a required property" in errors
    assert "blocks/0/kind" in errors
    assert not Workflow.objects.exists()  # nothing half-written
    page.fill("#id_text", json.dumps(demo_document()))
    page.click("input[type=submit][value=Import]")
    page.wait_for_url("**/workflowversion/*/change/")
    assert (
        "Imported Joiner: standard access as draft v1" in page.locator(".messagelist").inner_text()
    )
    assert WorkflowVersion.objects.get().blocks.count() == len(demo_document()["blocks"])


def test_invalid_expression_is_refused_next_to_the_field_and_checksum_follows(
    console: Console,
) -> None:
    page = console.page
    console.go("/admin/workflows/workflow/import/")
    page.fill("#id_text", json.dumps(demo_document()))
    page.click("input[type=submit][value=Import]")
    page.wait_for_url("**/workflowversion/*/change/")
    draft = WorkflowVersion.objects.get()
    before = draft.checksum
    row = next(i for i, b in enumerate(demo_document()["blocks"]) if b["key"] == "risky")
    config = page.locator(f"#id_blocks-{row}-config")
    config.fill(json.dumps({"expression": "person.risk >"}))
    page.click("input[name=_continue]")
    error = page.locator(f"#blocks-{row} .errorlist").inner_text()
    assert "invalid expression `person.risk >`" in error and "column" in error
    draft.refresh_from_db()
    assert draft.checksum == before  # refused: nothing saved
    page.locator(f"#id_blocks-{row}-config").fill(json.dumps({"expression": "person.risk > 50"}))
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    draft.refresh_from_db()
    assert draft.checksum != before
    assert draft.checksum == documents.checksum(documents.version_document(draft))
    console.shot("draft-expression-error")
