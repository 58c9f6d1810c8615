"""Playwright helpers for the builder's browser tests: a signed-in page on the live server that
records every request (to prove nothing comes from outside the server) and console errors (a
CSP violation shows there), and the canvas gestures: drag a palette type, connect handles."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "builder"
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
class Watched:
    page: Any
    origin: str
    requests: list[tuple[str, str]] = field(default_factory=list)  # (resource type, url)
    errors: list[str] = field(default_factory=list)

    def outside(self) -> list[tuple[str, str]]:
        """Scripts, styles and fonts (and anything else) not served by the live server."""
        return [
            (kind, url)
            for kind, url in self.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != self.origin
        ]

    def assets(self) -> set[str]:
        return {kind for kind, _ in self.requests if kind in ("script", "stylesheet", "font")}

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def session_cookie(live_server: Any, user: Any) -> dict[str, Any]:
    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }


@contextmanager
def browser_page(playwright: Any, live_server: Any, user: Any) -> Iterator[Watched]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    try:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        context.add_cookies([session_cookie(live_server, user)])
        page = context.new_page()
        watched = Watched(page, live_server.url)
        page.on("request", lambda r: watched.requests.append((r.resource_type, r.url)))
        page.on("console", lambda m: watched.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: watched.errors.append(str(e)))
        yield watched
    finally:
        browser.close()


def drop_block(page: Any, kind: str, type_: str, x: int, y: int) -> None:
    """Drag a block type from the palette onto the canvas at (x, y) inside the canvas."""
    page.locator(f"[data-testid=palette-{kind}-{type_}]").drag_to(
        page.locator(".idc-canvas"), target_position={"x": x, "y": y}
    )


def wire(page: Any, source_key: str, outcome: str, target_key: str) -> None:
    """Drag from a block's outcome handle to the next block's input handle."""
    source = page.locator(f"[data-testid=handle-{source_key}-{outcome}]").bounding_box()
    target = page.locator(f"[data-testid=block-{target_key}] .idc-handle-in").bounding_box()
    page.mouse.move(source["x"] + source["width"] / 2, source["y"] + source["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 4, target["y"] + 4, steps=8)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + target["height"] / 2, steps=4)
    page.mouse.up()
