"""`manage.py send_sample TEMPLATE`: post a template's sample payload to its workflow's webhook,
authenticated the way the trigger asks (a Standard Webhooks signature, the shared-secret header or
basic auth) with the endpoint's current secret: what an HR system would send. `--curl` prints the
same request as one curl line instead (a signature is valid for 5 minutes)."""

from __future__ import annotations

import base64
import json
import shlex
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from standardwebhooks.webhooks import Webhook

from workflows.models_triggers import WebhookEndpoint
from workflows.services.templates import TemplateRefused, template_get, template_list
from workflows.services.triggers import endpoint_path, endpoint_secrets


class Command(BaseCommand):
    help = "Send a template's sample payload to its workflow's webhook, signed with its secret."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("template", help="a template of workflows/library/, e.g. joiner")
        parser.add_argument("--workflow", help="the workflow's slug (default: the template's)")
        parser.add_argument("--url", default="", help="the product's address (IDC_PUBLIC_URL)")
        parser.add_argument("--curl", action="store_true", help="print a curl line, send nothing")
        parser.add_argument(
            "--same-id", action="store_true", help="keep the sample's event id (a replay)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            template = template_get(options["template"])
        except TemplateRefused as exc:
            names = ", ".join(t.name for t in template_list() if t.trigger == "webhook")
            raise CommandError(f"{exc}; webhook templates: {names}") from None
        trigger = next(b for b in template.document["blocks"] if b["kind"] == "trigger")
        if trigger["type"] != "webhook":
            raise CommandError(f"{template.name} starts on a {trigger['type']}, not a webhook")
        slug = options["workflow"] or template.slug
        endpoint = WebhookEndpoint.objects.filter(workflow__slug=slug, active=True).first()
        if endpoint is None:
            raise CommandError(f"{slug!r} has no active webhook: install and publish it first")
        secrets = endpoint_secrets(endpoint, datetime.now(UTC))
        if not secrets:
            raise CommandError(f"{slug!r} has no secret yet: manage.py webhook_secret {slug}")
        payload = json.loads(json.dumps(trigger["config"]["sample"]))
        key = str(trigger["config"].get("idempotency_key", ""))
        if not options["same_id"] and key.startswith("payload.") and key.count(".") == 1:
            payload[key.removeprefix("payload.")] = str(uuid.uuid4())  # a new event each time
        body = json.dumps(payload)
        base = (options["url"] or settings.IDC_PUBLIC_URL).rstrip("/")
        url = base + endpoint_path(endpoint)
        headers = {"Content-Type": "application/json", **self._auth(trigger, secrets[0], body)}
        if options["curl"]:
            parts = ["curl", "-sS", "-X", "POST", url]
            for name, value in headers.items():
                parts += ["-H", f"{name}: {value}"]
            self.stdout.write(" ".join(shlex.quote(p) for p in [*parts, "--data-binary", body]))
            return
        try:
            answer = requests.post(url, data=body.encode(), headers=headers, timeout=10)
        except requests.RequestException as exc:
            raise CommandError(f"could not reach {base} (is make run serving?): {exc}") from None
        self.stdout.write(f"{answer.status_code} {answer.text.strip()}")
        if answer.status_code != 202:
            raise CommandError(f"the webhook refused the sample ({answer.status_code})")
        run = answer.json().get("run")
        if run:
            self.stdout.write(f"watch the run: {base}/admin/workflows/run/{run}/change/")

    @staticmethod
    def _auth(trigger: dict[str, Any], secret: str, body: str) -> dict[str, str]:
        auth = {"mode": "standard", **(trigger["config"].get("auth") or {})}
        if auth["mode"] == "header":
            return {auth["header"]: secret}
        if auth["mode"] == "basic":
            pair = base64.b64encode(f"{auth['username']}:{secret}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        msg_id = f"msg_{uuid.uuid4().hex}"
        now = datetime.now(UTC)
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, now, body),
        }
