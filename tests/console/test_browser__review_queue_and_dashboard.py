"""In a real browser (Debian's Chromium, headless, driven by Playwright): the dashboard, the
review queue's groups, a parked execution's page opening on the failing step whose buttons
retry it, and a whole group retried in the background. Every request the pages make is
recorded: anything loaded from outside the server fails the test. Screenshots are kept in
build/test-artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.console.support import failing_workflow, park
from tests.support.documents import four_step
from tests.support.jobs import run_open_items
from workflows.console.review_groups import failure_groups
from workflows.models import Execution, ParkedExecution
from workflows.services.versions import draft_save

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_the_review_queue_and_the_dashboard_in_chromium(
    live_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    version = failing_workflow(tmp_path)
    first, *others = [park(version, user) for user in ("ann", "bob", "cy")]
    get_user_model().objects.create_superuser("op", "op@acme.example", "pw-Operator-123")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    errors: list[str] = []
    missing: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on(
                "request",
                lambda r: None
                if r.url.startswith((live_server.url, "data:"))
                else outside.append(r.url),
            )
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on(
                "response",
                lambda r: missing.append(r.url) if r.status >= 400 else None,
            )
            page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            page.fill("#id_username", "op")
            page.fill("#id_password", "pw-Operator-123")
            page.click("input[type=submit]")

            # The dashboard: figures and the chart, drawn by the server.
            page.wait_for_selector("#dashboard")
            assert page.locator("#tile-parked .figure").inner_text() == "3"
            assert page.locator("#tile-runs-today .figure").inner_text() == "3"
            assert page.locator("svg.runs-chart rect.bar").count() >= 1
            assert page.locator("#content-main").count() == 1  # the app list stays
            page.screenshot(path=str(ARTIFACTS / "console-dashboard.png"), full_page=True)

            # The queue: one group of three.
            page.click("#tile-parked a")
            page.wait_for_selector("#failure-groups")
            assert page.locator("tr.failure-group").count() == 1
            assert page.locator("tr.failure-group .group-count").inner_text() == "3"
            page.screenshot(path=str(ARTIFACTS / "console-review-queue.png"), full_page=True)

            # One execution's page: the failing step first, then the buttons that work. Its
            # call's answer was lost: a group of its own, marked "may have been applied".
            first.steps.filter(block_key="add_staff").update(state="unknown")
            page.goto(f"{live_server.url}/admin/workflows/parkedexecution/{first.pk}/change/")
            failing = page.locator("#failing-step")
            assert "Failed at add_staff" in failing.locator("h2").inner_text()
            assert page.locator("#may-have-been-applied").is_visible()
            first_fieldset = page.locator("fieldset").first.bounding_box()
            box = failing.bounding_box()
            assert box is not None and first_fieldset is not None
            assert box["y"] < first_fieldset["y"]
            steps = page.locator(".inline-related tbody tr td.field-block_key")
            assert steps.first.inner_text() == "add_staff"  # the failed step is the first row
            page.screenshot(path=str(ARTIFACTS / "console-review-detail.png"), full_page=True)
            page.click("#act-retry")
            page.wait_for_selector("#confirm-count")
            assert "1 parked execution" in page.locator("#confirm-count").inner_text()
            page.click("#confirm-yes")
            page.wait_for_selector("#run-summary")
            assert "retrying from add_staff" in page.locator(".messagelist").inner_text()
            first.refresh_from_db()
            assert first.state == "resolved"
            assert Execution.objects.filter(retry_of=first).count() == 1

            # The rest of the group at once, in the background.
            page.goto(f"{live_server.url}/admin/workflows/parkedexecution/")
            page.click("tr.failure-group .group-actions a:has-text('Retry 2')")
            page.wait_for_selector("#confirm-count")
            assert "2 parked executions" in page.locator("#confirm-count").inner_text()
            page.click("#confirm-yes")
            page.wait_for_selector("#job-summary")
            assert run_open_items() == ["done", "done"]  # the worker's part, run here
            page.reload()
            assert page.locator("#job-summary").inner_text() == "2 done, 0 failed, 0 remaining"
            page.screenshot(path=str(ARTIFACTS / "console-group-retried.png"), full_page=True)

            # The run page and a diff: server-drawn graphs, nothing else loaded.
            page.goto(f"{live_server.url}/admin/workflows/run/{first.run_id}/change/")
            assert page.locator("#run-graph g.node.lit").count() == 2  # start, is_joiner
            page.click("#step-1-3 summary")
            assert page.locator("#step-1-3 .step-error").is_visible()
            page.screenshot(path=str(ARTIFACTS / "console-run-page.png"), full_page=True)
            changed = four_step()
            changed["blocks"][2]["config"]["args"]["group"] = "Employees"
            draft_save(workflow=version.workflow, document=changed, actor=None)
            page.goto(
                f"{live_server.url}/admin/workflows/workflow/{version.workflow_id}"
                "/versions/diff/?old=1&new=2"
            )
            assert page.locator("#diff-list > li").count() == 1
            assert page.locator("#diff-graph g.node.changed").count() == 1
            page.screenshot(path=str(ARTIFACTS / "console-diff.png"), full_page=True)
            page.click(".breadcrumbs a:has-text('History')")
            page.wait_for_selector("#versions")
            assert page.locator("#versions tbody tr").count() == 2
            page.screenshot(path=str(ARTIFACTS / "console-history.png"), full_page=True)
        finally:
            browser.close()
    assert not outside, outside  # nothing from outside the server: no CDN, no font
    # The browser asks for /favicon.ico by itself (the favicon is another part of issue 12).
    missing = [url for url in missing if not url.endswith("/favicon.ico")]
    assert not missing, missing  # every script, style and image the pages name is served
    blocked = [e for e in errors if "status of 404" not in e]  # the favicon, checked above
    assert not blocked, errors  # nothing blocked by the CSP, no script errors
    assert sorted(e.retry_of_id for e in Execution.objects.filter(retry_of__in=others)) == sorted(
        e.pk for e in others
    )
    assert failure_groups(ParkedExecution.objects.all()) == []
