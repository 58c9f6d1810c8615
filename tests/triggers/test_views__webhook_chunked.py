"""Issue 9: a body sent with `Transfer-Encoding: chunked` has no CONTENT_LENGTH under WSGI. A
server that dechunks (gunicorn, `wsgi.input_terminated`) has it read up to the trigger's limit
(202, or 413 past it); a server that cannot (Django's runserver) has it refused 411 with "send
Content-Length"; never the misleading 401 of a signature checked against an empty body."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.support.gunicorn import Gunicorn, Reply
from tests.triggers.conftest import Sender, webhook_sender
from workflows.models import Run
from workflows.models_triggers import WebhookDelivery
from workflows.services.triggers import endpoint_path

LIMIT = 1024  # the smallest max_body_bytes a webhook trigger takes


def _payload(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    head = b'{"pad": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


def _post_chunked(gunicorn: Gunicorn, path: str, body: bytes, headers: dict[str, str]) -> Reply:
    """POST `body` as 512-byte chunks (no Content-Length)."""
    headers = {**headers, "Content-Type": "application/json"}
    return gunicorn.request("POST", path, body, headers, chunk=512)


@pytest.mark.postgres
@pytest.mark.servers
@pytest.mark.django_db(transaction=True)
def test_gunicorn_reads_a_signed_chunked_body_and_refuses_one_over_the_limit(
    client: Client, gunicorn: Gunicorn
) -> None:
    sender = webhook_sender(client, slug="chunked", max_body_bytes=LIMIT)
    path = endpoint_path(sender.endpoint)

    body = _payload(LIMIT)  # exactly at the limit, sent in two chunks
    reply = _post_chunked(gunicorn, path, body, sender.signed(body, "msg_chunked"))
    assert reply.status == 202 and reply.json()["run"], reply.body
    assert Run.objects.count() == 1
    assert WebhookDelivery.objects.get(status_code=202).body_size == LIMIT

    big = _payload(8 * LIMIT)
    reply = _post_chunked(gunicorn, path, big, sender.signed(big, "msg_big"))
    assert reply.status == 413, reply.body
    assert reply.json()["error"] == f"the body is over the limit of {LIMIT} bytes (more than that)"
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
