"""In a real browser (Debian's Chromium, headless, driven by Playwright): open the emailed link,
see the request, approve; the screenshot is kept in build/test-artifacts/."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.approvals.support import sent_links, waiting_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_emailed_link_opens_in_chromium_and_approves(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Playwright's sync API runs an event loop in this thread; the ORM reads here stay sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    get_user_model().objects.create_user("raj", "raj@acme.example")
    run, task = waiting_run()
    [token] = sent_links()  # emailed when the waiting commit committed
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{live_server.url}/a/{token}")
            assert page.locator("#title").inner_text() == task.title
            assert page.locator("#due").inner_text() == task.due_text
            task.refresh_from_db()
            assert task.state == "open"  # opening the link (as a scanner would) decides nothing
            page.fill("#comment", "approved from the browser")
            page.click("#decide-approved")
            page.wait_for_selector("#message")
            assert "recorded as approved" in page.locator("#message").inner_text()
            page.screenshot(path=str(ARTIFACTS / "approval-link-approved.png"), full_page=True)
            assert not errors, errors  # nothing blocked by the CSP, no script errors
        finally:
            browser.close()
    task.refresh_from_db()
    run.refresh_from_db()
    assert (task.state, task.decision, task.comment) == (
        "decided",
        "approved",
        "approved from the browser",
    )
    assert run.state == "running"  # resumed: its next execution is queued
