"""JSON log lines: a request's carry its request id (the proxy's X-Request-ID when sane, echoed
in the response), an execution's its run id, execution id and workflow slug, and a secret-looking
value is masked by the redaction rule of steps, in JSON and plain lines alike."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from idconfluence.ops.logs import ContextFilter, JsonFormatter, PlainFormatter, log_context
from tests.support.connector_types import JournalConnector
from tests.support.documents import four_step
from tests.support.factories import journal_connector, perform, published
from workflows.services.runs import run_start

ROOT = Path(__file__).resolve().parents[2]
BEARER = "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0"


class Lines:
    """Every record logged meanwhile, as the production handler writes it, parsed back."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setFormatter(JsonFormatter())
        self.handler.addFilter(ContextFilter())

    def read(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def lines() -> Iterator[Lines]:
    captured = Lines()
    root = logging.getLogger()
    root.addHandler(captured.handler)
    level, root.level = root.level, logging.INFO
    try:
        yield captured
    finally:
        root.removeHandler(captured.handler)
        root.level = level


@pytest.mark.django_db
def test_a_request_line_carries_the_request_id_and_the_route_not_the_token(
    client: Client,
) -> None:
    with_id = io.StringIO()
    handler = logging.StreamHandler(with_id)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("idconfluence.request")
    logger.addHandler(handler)
    try:
        response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
        insane = client.get("/healthz", headers={"X-Request-ID": "bad id\n{json}"})
        client.post("/hooks/tok-unguessable-part/", data=b"{}", content_type="application/json")
    finally:
        logger.removeHandler(handler)
    assert response["X-Request-ID"] == "lb-7f3a.42"
    assert len(insane["X-Request-ID"]) == 32 and insane["X-Request-ID"] != "bad id\n{json}"
    first, second, hook = (json.loads(line) for line in with_id.getvalue().splitlines())
    assert first["request_id"] == "lb-7f3a.42"
    assert (first["level"], first["logger"], first["message"]) == (
        "INFO",
        "idconfluence.request",
        "GET /healthz 200",
    )
    assert first["status"] == 200 and first["route"] == "/healthz" and first["time"]
    assert second["request_id"] == insane["X-Request-ID"]
    assert hook["route"] == "/hooks/<str:token>/"
    assert "tok-unguessable-part" not in with_id.getvalue()


def test_secrets_are_masked_by_key_and_by_shape(lines: Lines) -> None:
    with log_context(request_id="r-1"):
        logging.getLogger("x").warning(
            "calling with Authorization: %s", BEARER, extra={"client_secret": "s3", "user": "ann"}
        )
    (line,) = [line for line in lines.read() if line["logger"] == "x"]
    assert line["message"] == "calling with Authorization: [redacted]"
    assert line["client_secret"] == "[redacted]" and line["user"] == "ann"
    assert line["request_id"] == "r-1"
    assert "9f8e7d6c" not in json.dumps(line)


def test_plain_lines_carry_the_context_and_mask_too() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sent %s", (BEARER,), None)
    with log_context(run_id=7, workflow="joiner"):
        ContextFilter().filter(record)
    line = PlainFormatter("%(levelname)s %(name)s %(message)s").format(record)
    assert line == "INFO x sent [redacted] [workflow=joiner run_id=7]"


@pytest.mark.django_db
def test_a_line_logged_during_an_execution_names_its_run_execution_and_workflow(
    tmp_path: Path, lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal_connector(tmp_path)
    version = published(four_step(slug="joiner"))
    original = JournalConnector._do

    def chatty(self: JournalConnector, operation: str, options: Any, **args: Any) -> Any:
        logging.getLogger("tests.connector").info("calling %s with %s", operation, BEARER)
        return original(self, operation, options, **args)

    monkeypatch.setattr(JournalConnector, "_do", chatty)
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jane"})
    execution = perform(run)
    assert execution.state == "succeeded"
    calls = [line for line in lines.read() if line["logger"] == "tests.connector"]
    assert [line["message"] for line in calls] == [
        "calling add_group_member with [redacted]",
        "calling notify with [redacted]",
    ]
    for line in calls:
        assert (line["run_id"], line["execution_id"], line["workflow"]) == (
            run.pk,
            execution.pk,
            "joiner",
        )
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "after", (), None)
    ContextFilter().filter(outside)
    assert not hasattr(outside, "run_id")  # the context ends with the execution


def test_the_setting_chooses_json_lines() -> None:
    script = (
        "import logging; logging.getLogger('probe').warning('hello %s', 'Bearer abcdefgh12345678')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "idconfluence.settings_test", "DATABASE_URL": ""}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={**env, "IDC_LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        check=True,
    )
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["logger"], line["level"], line["message"]) == (
        "probe",
        "WARNING",
        "hello [redacted]",
    )
    refused = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**env, "IDC_LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and "IDC_LOG_FORMAT must be plain or json" in refused.stderr
