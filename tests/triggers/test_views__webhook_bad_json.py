"""Bad JSON never becomes a 500: a signed delivery or a resume callback whose body breaks the intake
rule (NaN, 1e400, 2,000 deep, NUL, a lone surrogate, a 400-digit integer, a duplicate key) is
answered 400 naming the path and the limit, starts or resumes nothing, and the refusal is still
recorded (with an escaped excerpt, never the raw NUL); a token path with %00 or non-ASCII is 404."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from audit.models import AuditEvent
from tests.support.documents import ticket_sign_off
from tests.support.factories import published
from tests.triggers.conftest import Sender, sample, webhook_sender
from workflows.models import Run
from workflows.models_triggers import UnknownHookSource, WebhookDelivery
from workflows.services.executions import execution_run
from workflows.services.runs import run_start
from workflows.services.triggers import resume_path

pytestmark = pytest.mark.django_db

HIRE = json.dumps(sample("workday-hire"))[1:-1]  # the sample's members, to add one bad member to


def hire_with(member: str) -> bytes:
    return ("{" + HIRE + ", " + member + "}").encode()


BAD = [
    # (case, body, path, limit)
    ("NaN", hire_with('"score": NaN'), "$.score", "finite_numbers"),
    ("Infinity", hire_with('"score": [Infinity]'), "$.score[0]", "finite_numbers"),
    ("1e400", hire_with('"score": 1e400'), "$.score", "finite_numbers"),
    (
        "2,000 deep",
        hire_with('"deep": ' + "[" * 2000 + "]" * 2000),
        "$.deep" + "[0]" * 63,
        "max_depth=64",
    ),
    (
        "900 deep",
        hire_with('"deep": ' + "[" * 900 + "]" * 900),
        "$.deep" + "[0]" * 63,
        "max_depth=64",
    ),
    ("NUL", hire_with('"note": "a\\u0000b"'), "$.note", "no_nul"),
    ("lone surrogate", hire_with('"names": ["x", "\\ud800"]'), "$.names[1]", "no_lone_surrogates"),
    ("400-digit integer", hire_with('"serial": ' + "9" * 400), "$.serial", "max_int_digits=30"),
    ("outside int64", hire_with('"serial": 9223372036854775808'), "$.serial", "int64"),
    ("duplicate key", hire_with('"eventType": "TERMINATION"'), "$.eventType", "unique_keys"),
]


@pytest.mark.parametrize(("body", "path", "limit"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_a_body_the_intake_rule_refuses_is_400_naming_path_and_limit_and_recorded(
    sender: Sender, body: bytes, path: str, limit: str
) -> None:
    response = sender.post(body=body, headers=sender.signed(body, "msg_bad"))
    assert response.status_code == 400, response.content[:300]
    answer = response.json()
    assert (answer["status"], answer["path"], answer["limit"]) == ("refused", path, limit)
    assert answer["error"].startswith(f"{path}: ")
    assert not Run.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.payload) == ("refused", 400, None)
    assert delivery.endpoint == sender.endpoint
    assert path[:400] in delivery.reason
    assert f"({limit})" in delivery.reason
    assert delivery.reason.isascii()
    assert "\x00" not in delivery.reason
    event = AuditEvent.objects.get(action="webhook.refused")
    assert event.details["status"] == 400
    assert event.details["delivery"] == delivery.pk


def test_the_record_keeps_an_escaped_excerpt_of_what_was_refused(sender: Sender) -> None:
    body = hire_with('"note": "before\\u0000after"')
    sender.post(body=body, headers=sender.signed(body, "m"))
    reason = WebhookDelivery.objects.get().reason
    assert "near: before\\u0000after" in reason


def test_a_400_digit_integer_anywhere_no_longer_reaches_cel(client: Client) -> None:
    plain = webhook_sender(client, slug="plain")
    body = b'{"n": 1, "unrelated": {"big": ' + b"1" * 400 + b"}}"
    response = plain.post(body=body, headers=plain.signed(body, "m"))
    assert response.status_code == 400
    assert response.json()["path"] == "$.unrelated.big"
    assert not Run.objects.exists()


def test_good_json_next_to_the_limits_is_still_accepted(sender: Sender) -> None:
    body = hire_with('"serial": 9223372036854775807, "name": "Zoë \\ud83d\\ude00", "x": 1e300')
    response = sender.post(body=body, headers=sender.signed(body, "m"))
    assert response.status_code == 202, response.json()
    delivery = WebhookDelivery.objects.get()
    assert delivery.outcome == "accepted"
    assert delivery.payload["serial"] == 2**63 - 1
    assert delivery.payload["name"] == "Zoë \U0001f600"


@pytest.mark.parametrize("token", ["ab%00c", "%00", "%C3%A9t%C3%A9", "ab%ED%A0%80c", "x%0Ay"])
def test_a_token_path_with_nul_or_non_ascii_is_404(sender: Sender, token: str) -> None:
    response = sender.client.post(f"/hooks/{token}/", data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"] == "no webhook endpoint has this address"
    assert not WebhookDelivery.objects.exists()  # counted against the source instead
    assert UnknownHookSource.objects.get().refusals == 1


@pytest.mark.parametrize("token", ["ab%00c", "%C3%A9t%C3%A9"])
def test_a_resume_token_path_with_nul_or_non_ascii_is_404(client: Client, token: str) -> None:
    response = client.post(f"/hooks/resume/{token}/", data=b"{}", content_type="application/json")
    assert response.status_code == 404


@pytest.fixture
def waiting_run() -> Run:
    version = published(ticket_sign_off())
    run = run_start(workflow=version.workflow, input={"user": "jane.doe"})
    assert execution_run(execution_id=run.executions.get().pk) == "waiting"
    return run


RESUME_BAD = [
    (
        "NUL",
        b'{"outcome": "approved", "payload": {"ticket": "CHG\\u0000"}}',
        "$.payload.ticket",
        "no_nul",
    ),
    (
        "lone surrogate",
        b'{"outcome": "approved", "payload": {"t": "\\udfff"}}',
        "$.payload.t",
        "no_lone_surrogates",
    ),
    ("NaN", b'{"outcome": "approved", "payload": {"n": NaN}}', "$.payload.n", "finite_numbers"),
    (
        "2,000 deep",
        b'{"outcome": "approved", "payload": {"d": ' + b"[" * 2000 + b"]" * 2000 + b"}}",
        "$.payload.d" + "[0]" * 62,
        "max_depth=64",
    ),
    ("invalid UTF-8", b'{"outcome": "approved", "payload": {"t": "\xff"}}', "$", "utf8"),
    (
        "400 digits",
        b'{"outcome": "approved", "payload": {"n": ' + b"5" * 400 + b"}}",
        "$.payload.n",
        "max_int_digits=30",
    ),
]


@pytest.mark.parametrize(
    ("body", "path", "limit"), [c[1:] for c in RESUME_BAD], ids=[c[0] for c in RESUME_BAD]
)
def test_a_resume_payload_the_rule_refuses_is_400_and_resumes_nothing(
    client: Client, waiting_run: Run, body: bytes, path: str, limit: str
) -> None:
    url = resume_path(run_id=waiting_run.pk, block_key="sign_off")
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert (response.json()["path"], response.json()["limit"]) == (path, limit)
    assert waiting_run.executions.count() == 1
    # The link still works with a good body.
    good = {"outcome": "approved", "payload": {"ticket": "CHG-1042"}}
    assert client.post(url, data=good, content_type="application/json").status_code == 202
