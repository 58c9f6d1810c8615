"""gunicorn serving the project on loopback against the test database, for tests that need the
real HTTP stack (a dechunking server, raw bytes on the wire). The fixtures are registered in
tests/conftest.py: `gunicorn` (one server per test) and `gunicorn_per_module` (one per module;
the module's tests must still use the test database, e.g. `django_db(transaction=True)`, so what
they store is committed where the server can read it)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cluster import ROOT, child_env

HOST = "127.0.0.1"
# What a healthy server never writes, whatever it was sent: Django's 500 log line, a Python
# traceback, gunicorn's own errors (a worker that crashed, timed out or was killed).
TROUBLE = ("Traceback", "Internal Server Error", "[ERROR]", "[CRITICAL]", " ERROR ")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Gunicorn:
    """gunicorn serving this worktree's project against the test database, on a free loopback
    port, in its own process group (stopping it ends its workers too)."""

    def __init__(self, log: Path, *, workers: int = 1, threads: int = 2, **env: str) -> None:
        """`env`: this server's own settings (a host of its own, as in production)."""
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        self._fh = log.open("w")
        self.log = log
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "idconfluence.wsgi:application",
                f"--chdir={ROOT}",
                f"--bind={HOST}:{self.port}",
                f"--workers={workers}",
                f"--threads={threads}",
                "--worker-class=gthread",  # keep-alive: an unread rest of a body is drained
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=child_env(PYTHONPATH=str(ROOT), **env),
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")
            with contextlib.suppress(OSError):
                if self.request("GET", "/hooks/not-a-token/", timeout=2).status == 405:
                    break  # POST only: it is up
            time.sleep(0.1)
        workers = self.workers()
        assert workers, f"gunicorn {self.proc.pid} shows no worker process"
        self._checked = (0, workers)  # log offset and workers at the last check

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        chunk: int | None = None,
        timeout: float = 20,
    ) -> Reply:
        """Send `body` as given (raw bytes: NaN, escapes, anything), with Content-Length, or as
        chunks of `chunk` bytes with Transfer-Encoding: chunked; `path` goes on the wire as is
        (percent-escapes such as %00 included). The status, headers and body of the answer."""
        headers = dict(headers or {})
        payload: Any = body
        if chunk is not None:
            data = body or b""
            payload = (data[i : i + chunk] for i in range(0, len(data), chunk))
            headers["Transfer-Encoding"] = "chunked"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request(
                method, path, body=payload, headers=headers, encode_chunked=chunk is not None
            )
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def workers(self) -> set[int]:
        """The master's worker processes now (one started again after a crash has a new pid)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def assert_healthy(self) -> None:
        """Since the last check: still serving with the same worker, and nothing in the log but
        expected warnings (each check judges only what happened since the one before)."""
        offset, workers = self._checked
        self._fh.flush()
        with self.log.open("rb") as fh:
            fh.seek(offset)
            data = fh.read()
        new = data.decode(errors="replace")
        self._checked = (offset + len(data), self.workers())
        assert self.proc.poll() is None, new
        assert self._checked[1] == workers, new
        assert [line for line in new.splitlines() if any(t in line for t in TROUBLE)] == [], new

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self._fh.close()


@contextlib.contextmanager
def serving(log: Path) -> Iterator[Gunicorn]:
    server = Gunicorn(log)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    with serving(tmp_path / "gunicorn.log") as server:
        yield server


@pytest.fixture(scope="module")
def gunicorn_per_module(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gunicorn]:
    """One server for a whole module: started once the test database exists (its name is what
    the server is given)."""
    with serving(tmp_path_factory.mktemp("gunicorn") / "gunicorn.log") as server:
        yield server
