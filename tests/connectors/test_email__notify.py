"""Email connector against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from connectors.base import Outcome
from connectors.types.email import EmailConnector
from tests.connectors.servers import SmtpServer, free_port, unique

pytestmark = pytest.mark.servers


def mailer(server: SmtpServer, **config: object) -> EmailConnector:
    return EmailConnector(
        name="mail",
        config={
            "host": server.host,
            "port": server.port,
            "from_email": "idc@example.org",
            **config,
        },
        secrets={},
    )


def received(server: SmtpServer, marker: str) -> list[object]:
    return [m for m in server.messages if marker.encode() in m.content]


def test_notification_arrives_with_the_blocks_subject_and_body_as_plain_text(
    smtp_server: SmtpServer,
) -> None:
    # The engine renders a block's templates; the connector sends its text as it is, braces too.
    marker = unique("ticket")
    result = mailer(smtp_server).call(
        "notify",
        {
            "to": "manager@example.org, auditor@example.org",
            "subject": "Access to Trading-Desk for Alice Liddell ends {{ end }}",
            "body": f"Hello,\nAlice Liddell loses {{% now 'Y' %}} ({marker}).",
            "end": "2026-12-01",
        },
        timeout=5,
    )

    assert result.outcome == Outcome.CHANGED, result.message
    [envelope] = received(smtp_server, marker)
    assert envelope.rcpt_tos == ["manager@example.org", "auditor@example.org"]
    assert envelope.mail_from == "idc@example.org"
    message = message_from_bytes(envelope.content)
    subject = str(make_header(decode_header(message["Subject"])))
    assert subject == "Access to Trading-Desk for Alice Liddell ends {{ end }}"
    body = message.get_payload(decode=True).decode().replace("\r\n", "\n")  # SMTP sends CRLF
    assert body.rstrip("\n") == f"Hello,\nAlice Liddell loses {{% now 'Y' %}} ({marker})."


def test_connector_templates_override_and_dry_run_sends_nothing(smtp_server: SmtpServer) -> None:
    marker = unique("dry")
    connector = mailer(
        smtp_server,
        subject_template="[IDC] {{ subject }}",
        body_template="{{ body }}\n-- ref {{ ref }}",
    )
    plan = connector.plan(
        "notify",
        {"to": ["a@example.org"], "subject": "Reminder", "body": "x", "ref": marker},
        timeout=5,
    )
    assert plan.outcome == Outcome.WOULD_CHANGE
    assert plan.data["subject"] == "[IDC] Reminder"
    assert received(smtp_server, marker) == []


def test_unreachable_smtp_server_is_retryable_within_the_timeout() -> None:
    connector = EmailConnector(
        name="mail",
        config={"host": "127.0.0.1", "port": free_port()},
        secrets={"password": "smtp-secret-pw"},
    )
    result = connector.call(
        "notify", {"to": "a@example.org", "subject": "s", "body": "b"}, timeout=0.8
    )
    assert result.outcome == Outcome.RETRYABLE
    assert result.attempts > 1
    assert result.duration_ms < 1100
    assert not connector.test_connection(timeout=0.3).ok


def test_project_email_backend_is_used_without_a_host() -> None:
    from django.core import mail

    mail.outbox = []
    result = EmailConnector(name="mail", config={}, secrets={}).call(
        "notify",
        {"to": "x@example.org", "subject": "Hi Bo", "body": "b {{ who }}", "who": "Bo"},
        timeout=2,
    )
    assert result.ok
    assert [(m.subject, m.body) for m in mail.outbox] == [("Hi Bo", "b {{ who }}")]
