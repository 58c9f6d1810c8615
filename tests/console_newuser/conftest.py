"""The new user's console in a real browser: Debian's Chromium driven by Playwright against
pytest-django's live server. One browser per module; each test gets a fresh signed-in page that
records every request, and fails if anything came from outside the server or the page logged an
error (a CSP refusal is logged as one)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "console_newuser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Console:
    """A signed-in page, the live server's address, and what the page asked for."""

    page: Any
    url: str
    user: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> Any:
        response = self.page.goto(self.url + path)
        assert response is not None and response.status < 400, (path, response and response.status)
        return response

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def outside(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.url, "data:", "blob:"))]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls here stay sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(chromium: Any, live_server: Any, user: Any, **context_args: Any) -> Console:
    """A new browser context carrying `user`'s session (no login form to fill each time)."""
    client = Client()
    client.force_login(user)
    context = chromium.new_context(
        viewport={"width": 1400, "height": 900}, accept_downloads=True, **context_args
    )
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "domain": host,
                "path": "/",
            }
        ]
    )
    console = Console(page=context.new_page(), url=live_server.url, user=user)
    console.page.on("request", lambda request: console.requests.append(request.url))
    console.page.on(
        "console", lambda m: console.errors.append(m.text) if m.type == "error" else None
    )
    console.page.set_default_timeout(10_000)
    return console


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    """Overridden by a module that needs another zone or locale in the browser."""
    return {}


@pytest.fixture
def console(
    chromium: Any, live_server: Any, transactional_db: Any, browser_context_args: dict[str, Any]
) -> Iterator[Console]:
    user = get_user_model().objects.create_superuser("mia", "mia@acme.example", "pw")
    signed_in = sign_in(chromium, live_server, user, **browser_context_args)
    try:
        yield signed_in
        assert not signed_in.outside(), signed_in.outside()
        assert not signed_in.errors, signed_in.errors
    finally:
        signed_in.page.context.close()
