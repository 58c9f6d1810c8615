"""The README's demo, walked as a newcomer would in Debian's Chromium: `scripts/run.sh` (what
`make run` runs) on a fresh database in a temporary directory prints the admin login and the
command that fires the joiner; the printed command sends a signed Workday hire; the run page shows
it waiting; the demo page lists the manager's email, whose link opens the approval page; approving
it makes the sensitive environment appear in the SCIM directory and the run succeed. A second
start queues no demo run. Screenshots of each step go to build/test-artifacts/."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.servers import free_port
from tests.scenarios.browser import ARGS, ARTIFACTS, CHROMIUM
from tests.support.cluster import ROOT, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.servers, pytest.mark.cluster]
READY = "fire the joiner webhook (a signed Workday hire): "


class Demo:
    """`scripts/run.sh` in its own session, its output collected line by line."""

    def __init__(self, home: Path, ports: dict[str, int]) -> None:
        self.home, self.ports = home, ports
        self.log = home / f"run-{time.monotonic_ns()}.log"
        keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
        self.env = {name: os.environ[name] for name in keep if name in os.environ}
        self.env.update(
            IDC_DOTENV=str(home / ".env"),
            SQLITE_PATH=str(home / "db.sqlite3"),
            PORT=str(ports["web"]),
            IDC_DEMO_SCIM_PORT=str(ports["scim"]),
            IDC_DEMO_SMTP_PORT=str(ports["smtp"]),
            IDC_DEMO_PAGE_PORT=str(ports["page"]),
        )
        self._fh = self.log.open("w")
        self.proc = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=ROOT,
            env=self.env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text()

    def line(self, starting: str, timeout: float = 120) -> str:
        def found() -> str | None:
            assert self.proc.poll() is None, self.output()
            for line in self.output().splitlines():
                if line.startswith(starting):
                    return line.removeprefix(starting)
            return None

        return str(wait_until(found, timeout, f"{starting!r} in {self.log}"))

    def stop(self) -> None:
        """Ctrl-C's TERM: run.sh stops its services and exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._fh.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


@contextlib.contextmanager
def demo(home: Path, ports: dict[str, int]) -> Iterator[Demo]:
    started = Demo(home, ports)
    try:
        yield started
    finally:
        started.stop()


def runs(home: Path) -> list[tuple[int, str]]:
    with contextlib.closing(sqlite3.connect(home / "db.sqlite3")) as db:
        return list(db.execute("SELECT id, state FROM workflows_run ORDER BY id"))


def executions(home: Path) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(home / "db.sqlite3")) as db:
        query = (
            "SELECT id, run_id, state, enqueue_count, failed_block, failure_reason"
            " FROM workflows_execution ORDER BY id"
        )
        return list(db.execute(query))


def reload_until(
    page: Any, url: str, check: Callable[[str], bool], what: str, started: Demo
) -> None:
    """Reloads `url` until `check` holds; a timeout says what the database and the services saw."""

    def shown() -> bool:
        page.goto(url)
        return check(page.content())

    try:
        wait_until(shown, 120, what)
    except AssertionError as timeout:
        tail = "\n".join(started.output().splitlines()[-80:])
        raise AssertionError(
            f"{timeout}\nruns: {runs(started.home)}\nexecutions: {executions(started.home)}"
            f"\nlast lines of the demo's output:\n{tail}"
        ) from None


def test_the_readme_demo_fires_the_joiner_and_the_approved_access_appears(home: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    ports = {name: free_port() for name in ("web", "scim", "smtp", "page")}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with demo(home, ports) as first:
        command = first.line(READY)
        login = first.line("admin login: ")
        page_url = first.line("demo mail and SCIM groups: ")
        password = re.search(r"password '([^']+)'", login)
        assert password, login
        admin = f"http://127.0.0.1:{ports['web']}/admin/"
        assert login.startswith(admin)
        demo_runs = runs(home)
        assert len(demo_runs) == 1  # the local-directory demo run of a fresh database

        sent = subprocess.run(
            ["bash", "-c", command],
            cwd=ROOT,
            env=first.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert sent.stdout.startswith('202 {"status": "accepted"'), sent.stdout
        watch = re.search(r"watch the run: (\S+)", sent.stdout)
        assert watch, sent.stdout

        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                page = browser.new_page()
                page.goto(admin)
                page.fill("#id_username", "admin")
                page.fill("#id_password", password.group(1))
                page.click("input[type=submit]")
                page.wait_for_selector("#site-name")
                reload_until(page, watch.group(1), lambda html: "Waiting" in html, "waiting", first)
                page.screenshot(path=str(ARTIFACTS / "demo-1-run-waiting.png"), full_page=True)

                reload_until(
                    page,
                    page_url,
                    lambda html: "/a/" in html,
                    "the approval email on the page",
                    first,
                )
                groups = page.locator("#groups").inner_text()
                assert re.search(r"Email\s+jane\.doe", groups), groups
                assert not re.search(r"Sensitive-Environment\s+jane\.doe", groups), groups
                page.screenshot(path=str(ARTIFACTS / "demo-2-mail.png"), full_page=True)
                page.click("#mail a[href*='/a/']")
                page.wait_for_selector("#decide-approved")
                page.fill("#comment", "welcome aboard")
                page.click("#decide-approved")
                page.wait_for_selector("#message")
                assert "recorded as approved" in page.locator("#message").inner_text()
                page.screenshot(path=str(ARTIFACTS / "demo-3-approved.png"), full_page=True)

                reload_until(
                    page,
                    page_url,
                    lambda html: bool(
                        re.search(r"Sensitive-Environment</td><td[^>]*>jane\.doe", html)
                    ),
                    "jane.doe in Sensitive-Environment",
                    first,
                )
                page.screenshot(path=str(ARTIFACTS / "demo-4-access.png"), full_page=True)
                reload_until(
                    page, watch.group(1), lambda html: "Succeeded" in html, "succeeded", first
                )
            finally:
                browser.close()
        after_first = runs(home)
        assert len(after_first) == 2 and after_first[-1][1] == "succeeded"

    with demo(home, ports) as second:
        second.line(READY)
        assert "demo run" not in second.output()
        time.sleep(2)  # whatever it would queue, it would have by now
        assert runs(home) == after_first  # a second start queues no demo run
