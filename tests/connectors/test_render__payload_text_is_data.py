"""One rendering pass (issue 9): a block's templates are rendered once, by the engine; text that
came from a payload reaches the target verbatim, never evaluated as a Django or CEL template."""

from __future__ import annotations

import json
import re
from email import message_from_bytes
from email.policy import default
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from connectors.models import Connector
from tests.connectors.servers import SmtpServer, unique
from tests.support.documents import block, document, edge
from tests.support.factories import published
from workflows.models import Execution, Run
from workflows.services.executions import execution_run
from workflows.services.runs import run_start

pytestmark = [pytest.mark.servers, pytest.mark.django_db(transaction=True)]

DJANGO = '{% now "Y" %} {{ settings.SECRET_KEY }} {% bogus %}'
CEL = "{{ event.secret }} =event.secret"
SECRET = "cel-secret-must-not-leak"


def connector(name: str, type_: str, config: dict[str, Any]) -> Connector:
    row = Connector(name=name, type=type_, config=config)
    row.set_secrets({})
    row.save()
    return row


def one_action(slug: str, connector_name: str, operation: str, args: dict[str, Any]) -> Any:
    return published(
        document(
            slug,
            [
                block("start", "trigger", "manual"),
                block("act", "action", operation, connector=connector_name, args=args),
            ],
            [edge("start", "act")],
        )
    )


def run_in_process(version: Any, payload: dict[str, Any]) -> Execution:
    run: Run = run_start(workflow=version.workflow, input=payload)
    execution = run.executions.order_by("-number").first()
    assert execution is not None
    execution_run(execution_id=execution.pk)
    execution.refresh_from_db()
    return execution


def test_payload_template_syntax_arrives_verbatim_in_the_email(smtp_server: SmtpServer) -> None:
    marker = unique("render")
    connector(
        "mailer",
        "email",
        {"host": smtp_server.host, "port": smtp_server.port, "from_email": "idc@example.org"},
    )
    version = one_action(
        "notify-verbatim",
        "mailer",
        "notify",
        {
            "to": "it@acme.example",
            "subject": "Welcome {{ event.name }} {{ event.cel }}",
            "body": "Dear {{ event.name }},\n{{ event.cel }}\nref {{ event.ref }}",
        },
    )

    execution = run_in_process(
        version, {"name": DJANGO, "cel": CEL, "secret": SECRET, "ref": marker}
    )

    assert execution.state == "succeeded", execution.failure_reason
    [envelope] = [m for m in smtp_server.messages if marker.encode() in m.content]
    message = message_from_bytes(envelope.content, policy=default)
    subject = str(message["Subject"])  # unfolded
    body = message.get_content().replace("\r\n", "\n")
    assert subject == f"Welcome {DJANGO} {CEL}"
    assert body.rstrip("\n") == f"Dear {DJANGO},\n{CEL}\nref {marker}"
    for leaked in (SECRET, settings.SECRET_KEY):
        assert leaked not in subject
        assert leaked not in body


def test_operator_templates_insert_payload_values_as_data(smtp_server: SmtpServer) -> None:
    marker = unique("wrapped")
    connector(
        "wrapped",
        "email",
        {
            "host": smtp_server.host,
            "port": smtp_server.port,
            "from_email": "idc@example.org",
            "subject_template": "[IDC] {{ subject }}",
            "body_template": "{{ body }}\n-- {% now 'Y' as year %}sent in {{ year }}",
        },
    )
    version = one_action(
        "notify-wrapped",
        "wrapped",
        "notify",
        {"to": "it@acme.example", "subject": "{{ event.name }}", "body": "{{ event.name }} ref"},
    )

    execution = run_in_process(version, {"name": f"{DJANGO} {marker}"})

    assert execution.state == "succeeded", execution.failure_reason
    [envelope] = [m for m in smtp_server.messages if marker.encode() in m.content]
    message = message_from_bytes(envelope.content, policy=default)
    assert str(message["Subject"]) == f"[IDC] {DJANGO} {marker}"
    body = message.get_content().replace("\r\n", "\n")
    lines = body.rstrip("\n").split("\n")
    assert lines[0] == f"{DJANGO} {marker} ref"  # the value, verbatim
    assert re.fullmatch(r"-- sent in \d{4}", lines[1])  # the operator's own tag does run


def test_rest_path_and_body_get_payload_values_verbatim(http_server: Any) -> None:
    connector(
        "api",
        "rest",
        {
            "base_url": http_server.url_for("/api"),
            "operations": {
                "add_group_member": {
                    "method": "PUT",
                    "path": "/groups/{{ group }}/members/{{ user }}",
                    "json": {"user": "{{ user }}", "note": "{{ user }} joins {{ group }}"},
                }
            },
        },
    )
    version = one_action(
        "rest-verbatim",
        "api",
        "add_group_member",
        {"user": "=event.user", "group": "{{ event.group }}"},
    )
    http_server.expect_request(re.compile(r"^/api/groups/.*"), "PUT").respond_with_json({})
    user, group = f"{DJANGO}/../admin", CEL

    execution = run_in_process(version, {"user": user, "group": group, "secret": SECRET})

    assert execution.state == "succeeded", execution.failure_reason
    [(sent, _)] = http_server.log
    raw_path = sent.environ["RAW_URI"]
    assert raw_path == f"/api/groups/{quote(group, safe='')}/members/{quote(user, safe='')}"
    assert json.loads(sent.get_data()) == {"user": user, "note": f"{user} joins {group}"}
