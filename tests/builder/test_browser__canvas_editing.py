"""In headless Chromium: the canvas edits a real draft: delete a block (its edges go with it),
undo brings both back, redo removes them again; the JSON document exports as the draft and a
document file imports onto the canvas, to be saved like any change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.models import Connector
from workflows.services.versions import workflow_import

from .browser import browser_page
from .conftest import joiner_document
from .test_browser__build_the_joiner import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def counts(page: Any) -> tuple[int, int]:
    return page.locator(".react-flow__node").count(), page.locator(".react-flow__edge").count()


def test_delete_undo_redo_export_import(
    live_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    Connector.objects.create(name="local-directory", type="local")
    document = joiner_document()
    workflow = workflow_import(document=document, actor=None, publish=True).workflow
    with (
        sync_api.sync_playwright() as playwright,
        browser_page(playwright, live_server, editor("erin")) as watched,
    ):
        page = watched.page
        page.goto(f"{live_server.url}/admin/workflows/workflow/{workflow.pk}/builder/")
        page.locator("[data-testid=block-risky]").wait_for()
        assert counts(page) == (10, 9)

        page.locator("[data-testid=block-risky]").click()
        page.get_by_role("button", name="Delete block").click()
        assert counts(page) == (9, 6)  # risky and its three edges
        page.get_by_role("button", name="Undo").click()
        assert counts(page) == (10, 9)
        page.get_by_role("button", name="Redo").click()
        assert counts(page) == (9, 6)
        page.keyboard.press("Control+z")
        assert counts(page) == (10, 9)

        with page.expect_download() as download:
            page.get_by_role("button", name="Export JSON").click()
        exported = json.loads(Path(download.value.path()).read_text())
        assert exported["blocks"] == document["blocks"] and exported["edges"] == document["edges"]

        smaller = {**document, "blocks": document["blocks"][:3], "edges": document["edges"][:2]}
        path = tmp_path / "smaller.json"
        path.write_text(json.dumps(smaller))
        page.locator("input[type=file]").set_input_files(str(path))
        page.get_by_text("Imported smaller.json: 3 blocks").wait_for()
        assert counts(page) == (3, 2)
        (tmp_path / "broken.json").write_text("{not json")
        page.locator("input[type=file]").set_input_files(str(tmp_path / "broken.json"))
        page.get_by_text("broken.json was not imported").wait_for()
        assert counts(page) == (3, 2)  # a bad file changes nothing
        page.get_by_role("button", name="Save").click()
        page.locator("#idc-message.idc-ok").wait_for()
        assert watched.outside() == []
    draft = workflow.versions.get(state="draft")
    keys = sorted(draft.blocks.values_list("key", flat=True))
    assert keys == ["hire", "person", "standard_tools"]
