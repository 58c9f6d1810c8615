"""A test delivery to a webhook endpoint, signed the way its trigger expects (Standard Webhooks,
a shared-secret header, or HTTP basic), sent over HTTP to the endpoint's full URL, so an
operator sees the answer a real sender would get. The body is the trigger's sample payload; it
is accepted like any delivery (it starts a run) and shows in the delivery log."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from audit.services import record
from workflows.engine.blocks.trigger import WebhookTrigger
from workflows.models_triggers import WebhookEndpoint
from workflows.services.triggers import endpoint_secrets

TIMEOUT_SECONDS = 10
ANSWER_CHARS = 2000


@dataclass(frozen=True)
class TestAnswer:
    status: int | None  # None: no HTTP answer at all
    text: str


def endpoint_trigger_config(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The published webhook trigger's config ({} when nothing is published)."""
    version = endpoint.workflow.published_version
    trigger = version.blocks.filter(kind="trigger", type="webhook").first() if version else None
    return dict(trigger.config) if trigger else {}


def signed_headers(auth: dict[str, str], secret: str, body: str) -> dict[str, str]:
    mode = auth.get("mode", "standard")
    if mode == "header":
        return {auth["header"]: secret}
    if mode == "basic":
        pair = f"{auth['username']}:{secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    message_id, now = f"msg_test_{uuid.uuid4().hex}", timezone.now()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body),
    }


def endpoint_test_send(*, endpoint: WebhookEndpoint, url: str, actor: Any) -> TestAnswer:
    """POST the sample to `url`, signed with the current secret; the answer, never the secret."""
    secrets = endpoint_secrets(endpoint, timezone.now())
    if not secrets:
        return TestAnswer(None, "This endpoint has no secret yet: rotate one first.")
    config = endpoint_trigger_config(endpoint)
    body = json.dumps(config.get("sample") or {"test": True}, ensure_ascii=False)
    headers = {
        "Content-Type": "application/json",
        **signed_headers(WebhookTrigger.auth(config), secrets[0], body),
    }
    try:
        answer = requests.post(
            url, data=body.encode(), headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
        )
    except requests.RequestException as exc:
        result = TestAnswer(None, f"no answer from {url}: {type(exc).__name__}")
    else:
        result = TestAnswer(answer.status_code, answer.text[:ANSWER_CHARS])
    record(
        action="webhook.test_sent",
        actor=actor,
        target=endpoint,
        workflow_id=endpoint.workflow_id,
        details={"status": result.status},
    )
    return result
