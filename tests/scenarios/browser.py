"""Deciding an emailed approval link in Debian's Chromium (headless, Playwright), as the
approver would; the page is kept as a screenshot in build/test-artifacts/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def decide_in_chromium(link: str, outcome: str, comment: str, screenshot: str) -> str:
    """Open `link`, check it decides nothing on opening, decide; the page's final message."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sync ORM reads in this thread
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(link)
            page.fill("#comment", comment)
            page.click(f"#decide-{outcome}")
            page.wait_for_selector("#message")
            message: str = page.locator("#message").inner_text()
            page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
            assert not errors, errors
            return message
        finally:
            browser.close()
