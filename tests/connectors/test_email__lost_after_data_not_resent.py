"""Email whose answer to DATA is lost (aiosmtpd accepts the message, then drops the connection
before its 250): the message may be delivered, so the call is UNKNOWN and nothing is re-sent. The
Message-ID comes from the idempotency key, the same on every attempt, so a reconciling re-send
can be recognised by receivers."""

from __future__ import annotations

import hashlib
from email import message_from_bytes

import pytest

from connectors.base import Outcome
from connectors.types.email import EmailConnector
from tests.connectors.servers import SmtpServer, unique

pytestmark = pytest.mark.servers
SENDER = "IDC <idc@example.org>"


def mailer(server: SmtpServer) -> EmailConnector:
    config = {"host": server.host, "port": server.port, "from_email": SENDER}
    return EmailConnector(name="mail", config=config, secrets={})


def notify(marker: str) -> dict[str, str]:
    return {"to": "manager@example.org", "subject": "Access ends", "body": f"ref {marker}"}


def message_ids(server: SmtpServer, marker: str) -> list[str]:
    return [
        str(message_from_bytes(m.content)["Message-ID"])
        for m in server.messages
        if marker.encode() in m.content
    ]


def expected_id(key: str) -> str:
    return f"<idc.{hashlib.sha256(key.encode()).hexdigest()[:32]}@example.org>"


def test_a_connection_lost_after_data_is_unknown_and_not_resent(
    smtp_server_losing_answers: SmtpServer,
) -> None:
    marker, key = unique("lost"), unique("idc-7-notify")

    result = mailer(smtp_server_losing_answers).call(
        "notify", notify(marker), timeout=3, idempotency_key=key
    )

    assert result.outcome == Outcome.UNKNOWN, result.message
    assert result.message.startswith("may have been applied: the connection was lost after")
    assert "not sent again" in result.message
    assert message_ids(smtp_server_losing_answers, marker) == [expected_id(key)]


def test_the_message_id_is_derived_from_the_key_and_stable_across_calls(
    smtp_server: SmtpServer,
) -> None:
    marker, key = unique("stable"), unique("idc-8-notify")
    connector = mailer(smtp_server)

    first = connector.call("notify", notify(marker), timeout=3, idempotency_key=key)
    again = connector.call("notify", notify(marker), timeout=3, idempotency_key=key, reconcile=True)

    assert first.outcome == again.outcome == Outcome.CHANGED
    assert first.data["message_id"] == again.data["message_id"] == expected_id(key)
    assert message_ids(smtp_server, marker) == [expected_id(key)] * 2
    assert f"sent again with the same Message-ID {expected_id(key)}" in again.message
    assert "de-duplicate by Message-ID" in again.message


def test_other_keys_give_other_message_ids(smtp_server: SmtpServer) -> None:
    marker = unique("other")
    connector = mailer(smtp_server)
    connector.call("notify", notify(marker), timeout=3, idempotency_key="idc-1-a")
    connector.call("notify", notify(marker), timeout=3, idempotency_key="idc-1-b")

    assert message_ids(smtp_server, marker) == [expected_id("idc-1-a"), expected_id("idc-1-b")]
