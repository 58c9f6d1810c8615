"""Issue 9: a body sent with `Transfer-Encoding: chunked` has no CONTENT_LENGTH under WSGI. A
server that dechunks (gunicorn, `wsgi.input_terminated`) has it read up to the trigger's limit
(202, or 413 past it); a server that cannot (Django's runserver) has it refused 411 with "send
Content-Length"; never the misleading 401 of a signature checked against an empty body."""

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
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.support.cluster import ROOT, child_env
from tests.triggers.conftest import Sender, webhook_sender
from workflows.models import Run
from workflows.models_triggers import WebhookDelivery
from workflows.services.triggers import endpoint_path

HOST = "127.0.0.1"
LIMIT = 1024  # the smallest max_body_bytes a webhook trigger takes


class Gunicorn:
    """gunicorn serving this worktree's project against the test database, on a free loopback
    port, in its own process group (stopping it ends its workers too)."""

    def __init__(self, log: Path) -> None:
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
                "--workers=1",
                "--threads=2",
                "--worker-class=gthread",  # keep-alive: an unread rest of a body is drained
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=child_env(PYTHONPATH=str(ROOT)),
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
                connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
                connection.request("GET", "/hooks/not-a-token/")
                status = connection.getresponse().status
                connection.close()
                if status == 405:  # POST only: it is up
                    return
            time.sleep(0.1)

    def post_chunked(
        self, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """POST `body` as 512-byte chunks (no Content-Length); the status and JSON answer."""
        pieces = (body[i : i + 512] for i in range(0, len(body), 512))
        connection = http.client.HTTPConnection(HOST, self.port, timeout=20)
        try:
            connection.request(
                "POST",
                path,
                body=pieces,
                headers={
                    **headers,
                    "Content-Type": "application/json",
                    "Transfer-Encoding": "chunked",
                },
                encode_chunked=True,
            )
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

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


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    server = Gunicorn(tmp_path / "gunicorn.log")
    try:
        yield server
    finally:
        server.stop()


def _payload(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    head = b'{"pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


@pytest.mark.postgres
@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_gunicorn_reads_a_signed_chunked_body_and_refuses_one_over_the_limit(
    client: Client, gunicorn: Gunicorn
) -> None:
    sender = webhook_sender(client, slug="chunked", max_body_bytes=LIMIT)
    path = endpoint_path(sender.endpoint)

    body = _payload(LIMIT)  # exactly at the limit, sent in two chunks
    status, answer = gunicorn.post_chunked(path, body, sender.signed(body, "msg_chunked"))
    assert status == 202 and answer["run"], answer
    assert Run.objects.count() == 1
    assert WebhookDelivery.objects.get(status_code=202).body_size == LIMIT

    big = _payload(8 * LIMIT)
    status, answer = gunicorn.post_chunked(path, big, sender.signed(big, "msg_big"))
    assert status == 413, answer
    assert answer["error"] == f"the body is over the limit of {LIMIT} bytes (more than that)"
    assert Run.objects.count() == 1
    assert WebhookDelivery.objects.filter(status_code=413).count() == 1


@pytest.mark.django_db
def test_a_chunked_body_the_server_cannot_read_is_refused_411_not_401(sender: Sender) -> None:
    body = json.dumps({"eventType": "HIRE", "eventId": "e1"}).encode()
    response = sender.client.post(
        endpoint_path(sender.endpoint),
        data=body,
        content_type="application/json",
        headers={**sender.signed(body, "msg_1"), "Transfer-Encoding": "chunked"},
        CONTENT_LENGTH="",  # what runserver passes for a chunked body: no length
    )
    assert "wsgi.input_terminated" not in response.wsgi_request.META
    assert response.status_code == 411
    assert response.json() == {
        "status": "refused",
        "error": "this server cannot read a body sent with Transfer-Encoding: chunked; "
        "send the body with a Content-Length header",
    }
    assert not Run.objects.exists()
    assert WebhookDelivery.objects.get().status_code == 411


@pytest.mark.django_db
def test_a_resume_callback_sent_chunked_to_such_a_server_is_refused_411(client: Client) -> None:
    response = client.post(
        "/hooks/resume/some-token/",
        data=b'{"outcome": "approved"}',
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        CONTENT_LENGTH="",
    )
    assert response.status_code == 411
    assert "send the body with a Content-Length header" in response.json()["error"]
