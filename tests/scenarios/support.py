"""What the scenarios share: a fresh SCIM service per test (the templates name fixed groups), the
targets read back over their own protocols, a sender that signs like an HR system, and waits."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from django.core.management import call_command
from standardwebhooks.webhooks import Webhook

from audit.models import AuditEvent
from connectors.models import Connector
from tests.connectors.servers import SCIM_TOKEN, SmtpServer, free_port, wait_for_port
from tests.support.cluster import wait_until
from tests.support.gunicorn import Gunicorn
from workflows.models import Run, Workflow
from workflows.models_triggers import WebhookEndpoint
from workflows.services.templates import template_get, templates_install
from workflows.services.triggers import endpoint_path, endpoint_rotate_secret

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LINK = re.compile(rb"(http://127\.0\.0\.1:\d+/a/[A-Za-z0-9_\-]{40,})")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Scim:
    """A scim2-server of its own, read and seeded over SCIM (not through the connector)."""

    base_url: str

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update(
            {"Authorization": f"Bearer {SCIM_TOKEN}", "Content-Type": "application/scim+json"}
        )
        return session

    def _one(self, kind: str, query: str) -> dict[str, Any] | None:
        answer = self._session().get(f"{self.base_url}/{kind}", params={"filter": query}, timeout=5)
        answer.raise_for_status()
        found = answer.json().get("Resources", [])
        return found[0] if found else None

    def user(self, name: str) -> dict[str, Any] | None:
        return self._one("Users", f'userName eq "{name}"')

    def add_user(self, name: str) -> str:
        body = {"schemas": [USER], "userName": name, "active": True}
        answer = self._session().post(f"{self.base_url}/Users", json=body, timeout=5)
        answer.raise_for_status()
        return str(answer.json()["id"])

    def add_group(self, name: str, members: list[str] = ()) -> str:  # type: ignore[assignment]
        body = {
            "schemas": [GROUP],
            "displayName": name,
            "members": [{"value": member} for member in members],
        }
        answer = self._session().post(f"{self.base_url}/Groups", json=body, timeout=5)
        answer.raise_for_status()
        return str(answer.json()["id"])

    def group_id(self, name: str) -> str:
        found = self._one("Groups", f'displayName eq "{name}"')
        assert found is not None, name
        return str(found["id"])

    def groups_of(self, name: str) -> set[str]:
        """The display names of the groups whose members include the user `name`."""
        user = self.user(name)
        if user is None:
            return set()
        answer = self._session().get(f"{self.base_url}/Groups", timeout=5)
        answer.raise_for_status()
        return {
            group["displayName"]
            for group in answer.json().get("Resources", [])
            if any(m.get("value") == user["id"] for m in group.get("members") or [])
        }


@contextlib.contextmanager
def scim_service() -> Iterator[Scim]:
    port = free_port()
    binary = Path(sys.executable).with_name("scim2-server")
    command = [str(binary), "--hostname", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--bearer-token", SCIM_TOKEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield Scim(f"http://127.0.0.1:{port}/v2")
    finally:
        process.terminate()
        process.wait(timeout=5)


def scim_connector(scim: Scim) -> Connector:
    row = Connector(
        name="scim-directory", type="scim", config={"base_url": scim.base_url, "auth": "bearer"}
    )
    row.set_secrets({"token": SCIM_TOKEN})
    row.save()
    return row


def mail_connector(smtp: SmtpServer) -> Connector:
    config = {"host": smtp.host, "port": smtp.port, "from_email": "idc@acme.example"}
    return Connector.objects.create(name="mail", type="email", config=config)


def install(name: str) -> Workflow:
    """The library's template, installed and published exactly as `install_templates` does."""
    [installed] = templates_install(actor=None, names=[name], publish=True)
    assert installed.note == "published", installed.note
    assert installed.version is not None
    return installed.version.workflow


@dataclass
class Sender:
    """An HR system posting to a workflow's endpoint over HTTP, signing with its secret."""

    web: Gunicorn
    endpoint: WebhookEndpoint
    secret: str

    @classmethod
    def for_workflow(cls, web: Gunicorn, workflow: Workflow) -> Sender:
        endpoint = WebhookEndpoint.objects.get(workflow=workflow, active=True)
        return cls(web, endpoint, endpoint_rotate_secret(endpoint=endpoint, actor=None))

    def post(self, payload: Any, *, header: str = "") -> Any:
        """Standard Webhooks by default; `header`: the shared secret in that header instead."""
        body = json.dumps(payload)
        if header:
            headers = {header: self.secret}
        else:
            msg_id = f"msg_{uuid.uuid4().hex}"
            now = datetime.now(UTC)
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(self.secret).sign(msg_id, now, body),
            }
        headers["Content-Type"] = "application/json"
        answer = self.web.request("POST", endpoint_path(self.endpoint), body.encode(), headers)
        assert answer.status == 202, answer.body
        return answer.json()


def sample(name: str, **changes: Any) -> Any:
    """A template's own sample payload (a fresh copy), for the sender to post."""
    template = template_get(name)
    trigger = next(b for b in template.document["blocks"] if b["kind"] == "trigger")
    return json.loads(json.dumps(trigger["config"]["sample"]))


def run_of(answer: dict[str, Any]) -> Run:
    return Run.objects.get(pk=answer["run"])


def settled(run: Run, *states: str, timeout: float = 30) -> Run:
    """The run once it is in one of `states` (its executions done or parked)."""

    def check() -> Run | None:
        run.refresh_from_db()
        return run if run.state in states else None

    result = wait_until(check, timeout, f"run {run.pk} to be {' or '.join(states)}")
    assert isinstance(result, Run)
    return result


@dataclass
class Inbox:
    """The SMTP server's messages that arrived since the test began (the server is shared)."""

    smtp: SmtpServer
    start: int
    seen: set[bytes] = field(default_factory=set)

    def messages(self, to: str) -> list[Any]:
        return [e for e in list(self.smtp.messages)[self.start :] if to in e.rcpt_tos]

    def link(self, to: str) -> str:
        """The approval link in the next message to `to` not taken yet."""

        def arrived() -> str | None:
            for envelope in self.messages(to):
                found = LINK.search(envelope.content)
                if found and found.group(1) not in self.seen:
                    self.seen.add(found.group(1))
                    return found.group(1).decode()
            return None

        return str(wait_until(arrived, 30, f"the approval email to {to}"))

    def subjects(self, to: str) -> list[str]:
        found = (re.search(rb"^Subject: (.*)$", e.content, re.M) for e in self.messages(to))
        return [f.group(1).decode().strip() if f else "" for f in found]

    def wait_for(self, to: str, subject: str) -> None:
        wait_until(lambda: subject in self.subjects(to), 10, f"{subject!r} to {to}")


def steps(run: Run) -> list[tuple[str, str]]:
    """The run's history as an auditor reads it: (block, state) in the order they ran."""
    return [
        (step.block_key, step.state)
        for execution in run.executions.order_by("number")
        for step in execution.steps.order_by("seq")
    ]


def audit_actions(run: Run) -> list[str]:
    """The run's audit events, as an auditor pulls them, once `audit_verify` found the whole
    chain (every process's events, the workers' included) unaltered."""
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("OK: "), out.getvalue()
    events = AuditEvent.objects.filter(run_id=run.pk).order_by("seq")
    return list(events.values_list("action", flat=True))


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:6]}"


def ldap_connector(slapd: Any) -> Connector:
    row = Connector(name="ldap-directory", type="ldap", config=slapd.config())
    row.set_secrets({"password": slapd.admin_password})
    row.save()
    return row


def ldap_state(slapd: Any, dn: str) -> tuple[bool, set[str]]:
    """(disabled, the groups naming it) as the directory itself says: the ppolicy lock and the
    memberof overlay's memberOf."""
    import ldap3

    with slapd.admin() as conn:
        attributes = ["memberOf", "pwdAccountLockedTime"]
        conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=attributes)
        entry = conn.entries[0]
        locked = bool(entry.pwdAccountLockedTime.values)
        return locked, {str(group) for group in entry.memberOf.values}


def approve_over_http(link: str, outcome: str = "approved", comment: str = "verified") -> str:
    """What an approver does without a browser: open the page, post its form; the answer."""
    session = requests.Session()
    page = session.get(link, timeout=10)
    token = CSRF.search(page.text)
    assert page.status_code == 200 and token, page.text
    answer = session.post(
        link,
        {"outcome": outcome, "comment": comment, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": link},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.text
