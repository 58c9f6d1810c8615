"""Issue 9, acceptance: every bad input the issue lists, end to end. Webhook deliveries, resume
callbacks and the audit API through the real HTTP stack (gunicorn on loopback, raw bytes on the
wire); `import_workflow` and `run_workflow` as real `manage.py` processes. Each row names the exact
status (or exit code) and answer (or stderr), and the change in row counts: a refused delivery is
recorded and starts nothing, nothing is ever stored half-way, no traceback, no worker restarted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.test import Client

from audit.models import AuditEvent
from tests.support.cluster import ROOT, child_env
from tests.support.connector_types import journal_lines
from tests.support.documents import block, document, edge, four_step, ticket_sign_off
from tests.support.factories import journal_connector, perform, published
from tests.support.gunicorn import Gunicorn, Reply
from tests.triggers.conftest import Sender, triggered, webhook_sender
from workflows.models import Block, Execution, Run, Workflow, WorkflowVersion
from workflows.models_triggers import UnknownHookSource, WebhookDelivery
from workflows.services.runs import run_start
from workflows.services.triggers import endpoint_path, endpoint_rotate_secret, resume_path

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.servers,
    pytest.mark.django_db(transaction=True),
]

COUNTED: dict[str, type[Model]] = {
    model.__name__: model
    for model in (
        Run,
        Execution,
        WebhookDelivery,
        UnknownHookSource,
        Workflow,
        WorkflowVersion,
        Block,
        AuditEvent,
    )
}
JSON = {"Content-Type": "application/json"}  # what every POST here declares
MANUAL = "accept-manual"  # the published workflow `run_workflow` is given
INPUT = "input.json"  # the file a command reads; its path reads FILE in the expected stderr

NUL_REFUSED = (  # idconfluence.middleware, before any view sees the query
    "the query parameter '{}' holds a NUL character (U+0000), which is refused: "
    "remove it and send again"
)


@dataclass(frozen=True)
class World:
    """What the rows send to, made afresh for each row (the database is emptied after each)."""

    server: Gunicorn
    sender: Sender  # a published webhook workflow's endpoint, and its signing secret
    resume: str  # the callback path of a run waiting for an approval
    cookie: str  # an auditor's session
    tmp: Path


@dataclass(frozen=True)
class Outcome:
    status: int  # the HTTP status, or a command's exit code
    answer: Any  # the JSON answer, or a command's stderr


Send = Callable[[World, bytes], Outcome]


def json_outcome(reply: Reply) -> Outcome:
    assert reply.headers["Content-Type"] == "application/json", reply.body[:300]
    return Outcome(reply.status, reply.json())


def http(world: World, method: str, path: str, body: bytes | None, **headers: str) -> Outcome:
    return json_outcome(world.server.request(method, path, body, headers))


def deliver(server: Gunicorn, sender: Sender, body: bytes, chunk: int | None = None) -> Outcome:
    """A delivery signed with the endpoint's secret, with Content-Length (or chunked)."""
    headers = {**sender.signed(body, "msg_accept"), **JSON}
    reply = server.request("POST", endpoint_path(sender.endpoint), body, headers, chunk=chunk)
    return json_outcome(reply)


def webhook(world: World, body: bytes) -> Outcome:
    return deliver(world.server, world.sender, body)


def webhook_chunked(world: World, body: bytes) -> Outcome:
    return deliver(world.server, world.sender, body, chunk=512)


def post_to(path: str) -> Send:
    """A POST to `path` as written (its percent-escapes go on the wire as they are)."""

    def send(world: World, body: bytes) -> Outcome:
        return http(world, "POST", path, body, **JSON)

    return send


def resume(world: World, body: bytes) -> Outcome:
    return http(world, "POST", world.resume, body, **JSON)


def audit(world: World, query: bytes) -> Outcome:
    """GET the audit events API as an auditor, with `query` as the raw query string."""
    path = f"/api/audit/events/?{query.decode()}"
    return http(world, "GET", path, None, Cookie=world.cookie)


def command(*args: str) -> Send:
    """`manage.py <args> FILE` as a process against the test database, FILE holding the row's
    bytes; its exit code and stderr (the file's path written FILE)."""

    def send(world: World, content: bytes) -> Outcome:
        file = world.tmp / INPUT
        file.write_bytes(content)
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args, str(file)],
            cwd=ROOT,
            env=child_env(IDC_Q_LOG_LEVEL="WARNING"),  # stderr: only what went wrong
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0 or done.stdout == "", done.stdout  # a refusal says no more
        return Outcome(done.returncode, done.stderr.replace(str(file), "FILE"))

    return send


import_workflow = command("import_workflow", "--publish")
run_workflow = command("run_workflow", MANUAL, "--input")


def member(text: str) -> bytes:
    """A small event with one more member, written as raw JSON text."""
    return ('{"eventType": "HIRE", "eventId": "e1", ' + text + "}").encode()


def refused(path: str, message: str, limit: str) -> dict[str, str]:
    """The 400 answer of the intake rule (idconfluence.intake): where, why and which limit."""
    return {"status": "refused", "error": f"{path}: {message}", "path": path, "limit": limit}


def import_refused(path: str, message: str, limit: str) -> str:
    return f"CommandError: FILE cannot be imported: {path}: {message} ({limit})\n"


def input_refused(path: str, message: str, limit: str) -> str:
    return f"CommandError: FILE cannot be used as input: {path}: {message} ({limit})\n"


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def with_config_value(raw: str) -> bytes:
    """four_step's document with its trigger's config holding `x`: `raw` (JSON text)."""
    doc = four_step()
    doc["blocks"][0]["config"]["x"] = "@@value@@"
    return json.dumps(doc).replace('"@@value@@"', raw).encode()


def with_change(change: Callable[[dict[str, Any]], None]) -> bytes:
    doc = four_step()
    change(doc)
    return json.dumps(doc).encode()


NAN, FINITE = "is not a number JSON can store", "finite_numbers"
NUL = "a string holding NUL (\\u0000)"
SURROGATE = "a string holding a lone surrogate (\\ud800-\\udfff without its pair)"
TOO_DEEP, DEPTH = "nested more than 64 arrays/objects deep", "max_depth=64"
NO_ENDPOINT = {"status": "refused", "error": "no webhook endpoint has this address"}
DELIVERY_REFUSED = {"WebhookDelivery": 1, "AuditEvent": 1}  # recorded, and in the audit log
ACCEPTED = {"Run": 1, "Execution": 1, "WebhookDelivery": 1, "AuditEvent": 1}
NOTHING: dict[str, int] = {}

ROWS = [
    # (how it is sent, what is sent, status or exit code, answer or stderr, count changes)
    # 0. Each way in works with good input, and its rows are counted.
    pytest.param(
        webhook,
        member('"name": "Zo\u00eb \\ud83d\\ude00", "serial": 9223372036854775807'),
        202,
        {"status": "accepted", "run": ANY},
        ACCEPTED,
        id="good: webhook",
    ),
    pytest.param(
        resume,
        b'{"outcome": "approved", "payload": {"ticket": "CHG-1042"}}',
        202,
        {"status": "resumed", "run": ANY, "execution": ANY},
        {"Execution": 1, "AuditEvent": 2},
        id="good: resume",
    ),
    pytest.param(
        import_workflow,
        json.dumps(triggered("accept-imported", "manual")).encode(),
        0,
        "",
        {"Workflow": 1, "WorkflowVersion": 1, "Block": 2, "AuditEvent": 3},
        id="good: import_workflow",
    ),
    pytest.param(
        run_workflow,
        b'{"user": "jane.doe"}',
        0,
        "",
        {"Run": 1, "Execution": 1, "AuditEvent": 1},
        id="good: run_workflow",
    ),
    # 1. Numbers JSON cannot store.
    pytest.param(
        webhook,
        member('"score": NaN'),
        400,
        refused("$.score", f"NaN {NAN}", FINITE),
        DELIVERY_REFUSED,
        id="webhook NaN",
    ),
    pytest.param(
        webhook,
        member('"score": [1, Infinity]'),
        400,
        refused("$.score[1]", f"Infinity {NAN}", FINITE),
        DELIVERY_REFUSED,
        id="webhook Infinity",
    ),
    pytest.param(
        webhook,
        member('"score": {"low": -Infinity}'),
        400,
        refused("$.score.low", f"-Infinity {NAN}", FINITE),
        DELIVERY_REFUSED,
        id="webhook -Infinity",
    ),
    pytest.param(
        webhook,
        member('"score": 1e400'),
        400,
        refused("$.score", "the number 1e400 overflows to infinity", FINITE),
        DELIVERY_REFUSED,
        id="webhook 1e400",
    ),
    # 2. Nesting: refused by the scan before json.loads, so no RecursionError.
    pytest.param(
        webhook,
        member('"deep": ' + deep(2000)),
        400,
        refused("$.deep" + "[0]" * 63, TOO_DEEP, DEPTH),
        DELIVERY_REFUSED,
        id="webhook 2,000 deep",
    ),
    pytest.param(
        webhook,
        member('"deep": ' + deep(900)),
        400,
        refused("$.deep" + "[0]" * 63, TOO_DEEP, DEPTH),
        DELIVERY_REFUSED,
        id="webhook 900 deep",
    ),
    # 3. NUL and lone surrogates: in a field, a key, the token path, a resume, an audit filter.
    pytest.param(
        webhook,
        member('"note": "a\\u0000b"'),
        400,
        refused("$.note", NUL, "no_nul"),
        DELIVERY_REFUSED,
        id="webhook NUL in a field",
    ),
    pytest.param(
        webhook,
        member('"a\\u0000": 1'),
        400,
        refused('$["a\\u0000"]', "a key holding NUL (\\u0000)", "no_nul"),
        DELIVERY_REFUSED,
        id="webhook NUL in a key",
    ),
    pytest.param(
        webhook,
        member('"names": ["x", "\\ud800"]'),
        400,
        refused("$.names[1]", SURROGATE, "no_lone_surrogates"),
        DELIVERY_REFUSED,
        id="webhook lone surrogate",
    ),
    pytest.param(
        post_to("/hooks/ab%00c/"),
        b"{}",
        404,
        NO_ENDPOINT,
        {"UnknownHookSource": 1},  # counted against the source, not stored per delivery
        id="token path with NUL",
    ),
    pytest.param(
        post_to("/hooks/ab%ED%A0%80c/"),
        b"{}",
        404,
        NO_ENDPOINT,
        {"UnknownHookSource": 1},
        id="token path with a lone surrogate",
    ),
    pytest.param(
        resume,
        b'{"outcome": "approved", "payload": {"ticket": "CHG\\u0000"}}',
        400,
        refused("$.payload.ticket", NUL, "no_nul"),
        NOTHING,
        id="resume NUL",
    ),
    pytest.param(
        resume,
        b'{"outcome": "approved", "payload": {"t": "\\udfff"}}',
        400,
        refused("$.payload.t", SURROGATE, "no_lone_surrogates"),
        NOTHING,
        id="resume lone surrogate",
    ),
    pytest.param(
        resume,
        b'{"outcome": "approved", "payload": {"d": ' + deep(2000).encode() + b"}}",
        400,
        refused("$.payload.d" + "[0]" * 62, TOO_DEEP, DEPTH),
        NOTHING,
        id="resume 2,000 deep",
    ),
    pytest.param(
        post_to("/hooks/resume/ab%00c/"),
        b'{"outcome": "approved"}',
        404,
        {"status": "refused", "error": "this callback link is not valid"},
        NOTHING,
        id="resume token path with NUL",
    ),
    pytest.param(
        audit,
        b"q=%00",
        400,
        {"detail": NUL_REFUSED.format("q")},
        NOTHING,
        id="audit search NUL",
    ),
    pytest.param(
        audit,
        b"actor=ann%00",
        400,
        {"detail": NUL_REFUSED.format("actor")},
        NOTHING,
        id="audit actor NUL",
    ),
    pytest.param(
        audit,
        b"from=%00",
        400,
        {"detail": NUL_REFUSED.format("from")},
        NOTHING,
        id="audit date NUL",
    ),
    pytest.param(
        audit,
        b"q=%ED%A0%80",  # a surrogate's UTF-8 form: not UTF-8, read as U+FFFD, matches nothing
        200,
        {"next": None, "previous": None, "results": []},
        NOTHING,
        id="audit search lone surrogate",
    ),
    # 4. Transfer-Encoding: chunked under gunicorn: read, checked, accepted or refused.
    pytest.param(
        webhook_chunked,
        member('"pad": "' + "x" * 2000 + '"'),
        202,
        {"status": "accepted", "run": ANY},
        {"Run": 1, "Execution": 1, "WebhookDelivery": 1, "AuditEvent": 1},
        id="webhook chunked, signed: accepted",
    ),
    pytest.param(
        webhook_chunked,
        member('"pad": "' + "x" * 2000 + '", "score": NaN'),
        400,
        refused("$.score", f"NaN {NAN}", FINITE),
        DELIVERY_REFUSED,
        id="webhook chunked NaN",
    ),
    # 5. A big integer nothing refers to would still break every CEL expression of the run.
    pytest.param(
        webhook,
        member('"unrelated": {"big": ' + "1" * 400 + "}"),
        400,
        refused("$.unrelated.big", "an integer of 400 digits (at most 30)", "max_int_digits=30"),
        DELIVERY_REFUSED,
        id="webhook 400-digit integer",
    ),
    # 6. The commands: a CommandError naming the problem, exit 1, nothing imported or started.
    pytest.param(
        import_workflow,
        with_change(lambda doc: doc["workflow"].update(name="Four\x00Step")),
        1,
        import_refused("$.workflow.name", NUL, "no_nul"),
        NOTHING,
        id="import NUL in the name",
    ),
    pytest.param(
        import_workflow,
        with_change(lambda doc: doc["blocks"][1]["position"].update(x=10**400)),
        1,
        import_refused(
            "$.blocks[1].position.x", "an integer of 401 digits (at most 30)", "max_int_digits=30"
        ),
        NOTHING,
        id="import 10**400 as a position",
    ),
    pytest.param(
        import_workflow,
        deep(3000).encode(),
        1,
        import_refused("$" + "[0]" * 64, TOO_DEEP, DEPTH),
        NOTHING,
        id="import a 3,000-deep document",
    ),
    pytest.param(
        import_workflow,
        with_config_value(deep(600)),
        1,
        import_refused("$.blocks[0].config.x" + "[0]" * 60, TOO_DEEP, DEPTH),
        NOTHING,
        id="import a 600-deep config value",
    ),
    pytest.param(
        import_workflow,
        with_config_value("NaN"),
        1,
        import_refused("$.blocks[0].config.x", f"NaN {NAN}", FINITE),
        NOTHING,
        id="import NaN in a config value",
    ),
    pytest.param(
        run_workflow,
        b'{"user": "a\\u0000"}',
        1,
        input_refused("$.user", NUL, "no_nul"),
        NOTHING,
        id="run_workflow NUL in the input",
    ),
    pytest.param(
        run_workflow,
        b'{"n": NaN}',
        1,
        input_refused("$.n", f"NaN {NAN}", FINITE),
        NOTHING,
        id="run_workflow NaN in the input",
    ),
    pytest.param(
        run_workflow,
        b'{"d": ' + deep(2000).encode() + b"}",
        1,
        input_refused("$.d" + "[0]" * 63, TOO_DEEP, DEPTH),
        NOTHING,
        id="run_workflow 2,000-deep input",
    ),
    pytest.param(
        run_workflow,
        b"[1, 2]",
        1,
        "CommandError: FILE must hold a JSON object, not list\n",
        NOTHING,
        id="run_workflow input not an object",
    ),
]


def counts() -> dict[str, int]:
    return {name: model.objects.count() for name, model in COUNTED.items()}


def auditor_cookie() -> str:
    """The Cookie header of a signed-in user who may read the audit log (and nothing else)."""
    person = get_user_model().objects.create_user("ann", "ann@example.com", "pw-ann-123!")
    person.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client = Client()
    client.force_login(person)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def world(gunicorn_per_module: Gunicorn, tmp_path: Path) -> World:
    sender = webhook_sender(Client(), slug="accept-hook")
    waiting_for = published(ticket_sign_off("accept-sign-off")).workflow
    waiting = run_start(workflow=waiting_for, input={"user": "jane.doe"})
    assert perform(waiting).state == "waiting"
    published(triggered(MANUAL, "manual"))
    return World(
        server=gunicorn_per_module,
        sender=sender,
        resume=resume_path(run_id=waiting.pk, block_key="sign_off"),
        cookie=auditor_cookie(),
        tmp=tmp_path,
    )


@pytest.mark.parametrize(("send", "data", "status", "answer", "changes"), ROWS)
def test_each_input_gets_its_exact_answer_and_row_count_changes(
    world: World,
    send: Send,
    data: bytes,
    status: int,
    answer: Any,
    changes: dict[str, int],
) -> None:
    before = counts()
    outcome = send(world, data)
    after = counts()

    assert (outcome.status, outcome.answer) == (status, answer)
    assert "Traceback" not in str(outcome.answer)
    assert {name: after[name] - before[name] for name in COUNTED} == {
        name: changes.get(name, 0) for name in COUNTED
    }
    world.server.assert_healthy()


def test_refused_deliveries_are_recorded_without_their_body(world: World) -> None:
    """The record of a refusal keeps the status, the path and limit, and an escaped excerpt."""
    outcome = webhook(world, member('"note": "before\\u0000after"'))
    assert outcome.status == 400
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.payload) == ("refused", 400, None)
    assert delivery.reason == f"$.note: {NUL} (no_nul); near: before\\u0000after"
    event = AuditEvent.objects.get(action="webhook.refused")
    assert event.details == {"status": 400, "reason": delivery.reason, "delivery": delivery.pk}
    world.server.assert_healthy()


def test_payload_text_reaches_the_target_verbatim_through_http(
    gunicorn_per_module: Gunicorn, tmp_path: Path
) -> None:
    """Template syntax in a delivered payload is data: the action's one rendering pass inserts
    it as it came, evaluated neither as Django template nor as CEL."""
    journal_connector(tmp_path)
    version = published(
        document(
            "accept-verbatim",
            [
                block("start", "trigger", "webhook", mapping={"name": "=payload.name"}),
                block(
                    "tell",
                    "action",
                    "notify",
                    connector="journal",
                    args={"to": "it@acme.example", "subject": "Hi {{ event.name }}", "body": "x"},
                ),
            ],
            [edge("start", "tell")],
        )
    )
    endpoint = version.workflow.webhook_endpoint
    sender = Sender(Client(), endpoint, endpoint_rotate_secret(endpoint=endpoint, actor=None))
    text = '=1+1 Welcome {% now "Y" %} {{ 7*7 }}'
    outcome = deliver(gunicorn_per_module, sender, json.dumps({"name": text}).encode())
    assert outcome == Outcome(202, {"status": "accepted", "run": ANY})

    run = Run.objects.get(pk=outcome.answer["run"])
    assert run.input == {"name": text}
    assert perform(run).state == "succeeded"
    [line] = journal_lines(tmp_path / "journal.jsonl")
    assert line["subject"] == f"Hi {text}"
    gunicorn_per_module.assert_healthy()
