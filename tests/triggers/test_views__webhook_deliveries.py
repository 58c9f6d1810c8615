"""`/hooks/<token>/`: a signed delivery starts one run and is answered 202; a replay answers with
the first run; every refusal has its status and message, starts nothing, stores no body, and is
recorded for operators and in the audit log."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from audit.models import AuditEvent
from tests.support.factories import published
from tests.triggers.conftest import WORKDAY_HIRES, Sender, sample, triggered, webhook_sender
from workflows.models import Run, Workflow, WorkflowVersion
from workflows.models_triggers import UnknownHookSource, WebhookDelivery, WebhookEndpoint
from workflows.services.triggers import endpoint_rotate_secret

pytestmark = pytest.mark.django_db


def test_a_signed_delivery_starts_one_run_answered_202(sender: Sender) -> None:
    response = sender.post(sample("workday-hire"), msg_id="msg_hire_1")
    assert response.status_code == 202, response.json()
    run = Run.objects.get()
    assert response.json() == {"status": "accepted", "run": run.pk}
    assert (run.trigger_kind, run.input) == (
        "webhook",
        {"user": "jane.doe", "department": "Finance"},
    )
    assert run.executions.get().state == "queued"
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.run) == ("accepted", 202, run)
    assert delivery.event_key == sample("workday-hire")["eventId"]
    assert delivery.payload == sample("workday-hire")
    assert delivery.headers["webhook-id"] == "msg_hire_1"
    assert delivery.headers["webhook-signature"] == "********"


def test_the_same_delivery_again_answers_with_the_first_run_and_starts_nothing(
    sender: Sender,
) -> None:
    body = json.dumps(sample("workday-hire")).encode()
    first = sender.post(body=body, msg_id="msg_1").json()
    again = sender.post(body=body, msg_id="msg_1")
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["run"] == first["run"]
    # Workday re-sends the same eventId under a new webhook-id: still the same event.
    resent = sender.post(body=body, msg_id="msg_2").json()
    assert resent["run"] == first["run"]
    assert Run.objects.count() == 1
    outcomes = list(WebhookDelivery.objects.order_by("pk").values_list("outcome", "run_id"))
    assert outcomes == [("accepted", first["run"])] + [("duplicate", first["run"])] * 2


def test_without_an_idempotency_field_the_webhook_id_keys_the_event(client: Client) -> None:
    sender = webhook_sender(client, slug="plain")
    assert sender.post({"n": 1}, msg_id="a").status_code == 202
    assert sender.post({"n": 1}, msg_id="a").status_code == 200
    assert sender.post({"n": 1}, msg_id="b").status_code == 202
    assert Run.objects.count() == 2


def test_a_delivery_the_filter_turns_away_is_ignored(sender: Sender) -> None:
    response = sender.post(sample("workday-termination"))
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert not Run.objects.exists()
    assert WebhookDelivery.objects.get().outcome == "ignored"


def _stale(sender: Sender) -> dict[str, str]:
    return sender.signed(b"{}", "m", datetime.now(UTC) - timedelta(minutes=6))


def _forged(sender: Sender) -> dict[str, str]:
    return Sender(sender.client, sender.endpoint, "whsec_" + "A" * 43).signed(b"{}", "m")


REFUSALS = [
    ("bad signature", {"headers": _forged}, 401, "the signature does not match"),
    ("old timestamp", {"headers": _stale}, 401, "more than 5 minutes old"),
    ("unsigned", {"headers": lambda s: {}}, 401, "missing webhook-id"),
    ("not JSON", {"content_type": "text/plain"}, 415, "Content-Type: application/json"),
    ("over the limit", {"body": b" " * (1024 * 1024 + 1)}, 413, "over the limit of 1048576"),
    ("invalid JSON", {"body": b'{"eventType": "HIRE",'}, 400, "not valid JSON"),
    ("unmappable", {"body": b'{"eventType": "HIRE", "eventId": "e"}'}, 400, "does not fit"),
]


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [(r[1], r[2], r[3]) for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_each_refusal_answers_its_code_and_message_and_starts_nothing(
    sender: Sender, case: dict[str, Any], status: int, message: str
) -> None:
    kwargs = dict(case)
    if callable(kwargs.get("headers")):
        kwargs["headers"] = kwargs["headers"](sender)
    if "headers" not in kwargs and "body" in kwargs:
        kwargs["headers"] = sender.signed(kwargs["body"], "m")
    response = sender.post(**kwargs)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert response.json()["status"] == "refused"
    assert not Run.objects.exists()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.status_code, delivery.payload) == ("refused", status, None)
    assert message in delivery.reason
    event = AuditEvent.objects.get(action="webhook.refused")
    assert event.details["status"] == status
    assert event.workflow_id == sender.endpoint.workflow_id


def test_an_unknown_address_is_404_and_a_disabled_workflow_409(sender: Sender) -> None:
    response = sender.client.post(
        "/hooks/no-such-token/", data=b"{}", content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]) == (
        404,
        "no webhook endpoint has this address",
    )
    Workflow.objects.filter(pk=sender.endpoint.workflow_id).update(enabled=False)
    response = sender.post(sample("workday-hire"))
    assert (response.status_code, response.json()["error"]) == (409, "the workflow is disabled")
    assert not Run.objects.exists()
    assert list(WebhookDelivery.objects.values_list("status_code", flat=True)) == [409]
    assert AuditEvent.objects.filter(action="webhook.refused").count() == 1
    assert UnknownHookSource.objects.get().refusals == 1  # the unknown address: counted only


def test_the_secret_is_stored_encrypted_and_the_previous_one_works_for_a_day(
    client: Client,
) -> None:
    sender = webhook_sender(client, slug="plain")
    old = sender.secret
    assert old not in sender.endpoint.secret_encrypted
    new = endpoint_rotate_secret(endpoint=sender.endpoint, actor=None)
    sender.endpoint.refresh_from_db()
    assert new not in sender.endpoint.secret_encrypted
    assert sender.post({"n": 1}, msg_id="signed-with-old").status_code == 202
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        response = sender.post({"n": 2}, msg_id="old-after-grace")
        assert response.status_code == 401
        sender.secret = new
        assert sender.post({"n": 3}, msg_id="signed-with-new").status_code == 202


def test_senders_that_cannot_sign_use_a_shared_header_or_basic_auth(client: Client) -> None:
    header = webhook_sender(client, slug="sap", auth={"mode": "header", "header": "X-Hook-Secret"})
    ok = header.post({"n": 1}, headers={"X-Hook-Secret": header.secret})
    assert ok.status_code == 202
    bad = header.post({"n": 1}, headers={"X-Hook-Secret": header.secret[:-2]})
    assert (bad.status_code, bad.json()["error"]) == (
        401,
        "the X-Hook-Secret header does not match",
    )

    basic = webhook_sender(client, slug="legacy", auth={"mode": "basic", "username": "hr"})
    token = base64.b64encode(f"hr:{basic.secret}".encode()).decode()
    assert basic.post({"n": 1}, headers={"Authorization": f"Basic {token}"}).status_code == 202
    wrong = base64.b64encode(b"hr:guess").decode()
    assert basic.post({"n": 1}, headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    stored = [d.headers for d in WebhookDelivery.objects.all()]
    assert all(
        header.secret not in json.dumps(h) and basic.secret not in json.dumps(h) for h in stored
    )


def test_refused_bodies_are_never_stored_but_their_size_is(sender: Sender) -> None:
    body = json.dumps({**sample("workday-hire"), "ssn": "123-45-6789"}).encode()
    sender.post(body=body, headers=_forged(sender))
    delivery = WebhookDelivery.objects.get()
    assert (delivery.payload, delivery.body_size) == (None, len(body))
    assert "123-45-6789" not in json.dumps(AuditEvent.objects.get(action="webhook.refused").details)


def test_mapping_a_workday_hire_with_the_library_defaults(client: Client) -> None:
    sender = webhook_sender(client, slug="hires", **WORKDAY_HIRES, sample=sample("workday-hire"))
    assert sender.post(sample("workday-hire")).status_code == 202


def test_the_address_serves_the_newest_published_version_and_only_while_one_is(
    client: Client,
) -> None:
    sender = webhook_sender(client, slug="plain")
    first = Run.objects.get(pk=sender.post({"n": 1}, msg_id="msg_v1").json()["run"])
    second = published(triggered("plain", "webhook", mapping={"m": "=payload.n"}))
    response = sender.post({"n": 2}, msg_id="msg_v2")
    assert response.status_code == 202, response.json()
    run = Run.objects.get(pk=response.json()["run"])
    assert (first.version.number, run.version, run.input) == (1, second, {"m": 2})

    WorkflowVersion.objects.filter(workflow=second.workflow).update(state="retired")
    response = sender.post({"n": 3}, msg_id="msg_none")
    assert (response.status_code, response.json()["error"]) == (
        409,
        "the workflow has no published version",
    )
    WebhookEndpoint.objects.filter(pk=sender.endpoint.pk).update(active=False)
    response = sender.post({"n": 4}, msg_id="msg_inactive")
    assert response.status_code == 404
    assert UnknownHookSource.objects.get().refusals == 1  # an inactive address: counted only
    assert list(WebhookDelivery.objects.values_list("status_code", "endpoint")) == [
        (409, sender.endpoint.pk),
        (202, sender.endpoint.pk),
        (202, sender.endpoint.pk),
    ]
