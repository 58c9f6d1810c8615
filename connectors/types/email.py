"""Email connector: `notify` through Django's email backend, subject and body templated on input.

With no `host` configured it uses the project's EMAIL_* settings (SMTP in production); with a
`host` it talks SMTP to that server. Subject and body (from the block, or the connector's
`subject_template`/`body_template`) are Django templates over the block input, so a block can
say "Access to {{ resource }} ends on {{ end_date }}". Transient SMTP failures (connection
errors, 4xx replies) are retried within the call's time budget; 5xx replies fail at once.
"""

from __future__ import annotations

import smtplib
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from connectors.base import CallOptions, ConnectorError, Outcome, Result
from connectors.retry import BudgetedConnector, current_budget, retrying
from connectors.templating import render

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class _Transient(Exception):
    """An SMTP failure worth another attempt."""


def _recipients(to: Any) -> list[str]:
    if isinstance(to, str):
        return [address.strip() for address in to.replace(";", ",").split(",") if address.strip()]
    return [str(address) for address in to]


class EmailConnector(BudgetedConnector):
    type_name = "email"
    label = "Email (SMTP)"
    operations = frozenset({"notify"})
    config_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "host": {"type": "string"},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "username": {"type": "string"},
            "use_tls": {"type": "boolean"},
            "use_ssl": {"type": "boolean"},
            "from_email": {"type": "string"},
            "subject_template": {"type": "string"},
            "body_template": {"type": "string"},
        },
    }
    secret_fields = ("password",)

    def _connection(self) -> Any:
        timeout = current_budget().left()
        if not self.config.get("host"):
            return get_connection(timeout=timeout)
        return get_connection(
            SMTP_BACKEND,
            host=self.config["host"],
            port=self.config.get("port", 25),
            username=self.config.get("username", ""),
            password=self.secrets.get("password", ""),
            use_tls=self.config.get("use_tls", False),
            use_ssl=self.config.get("use_ssl", False),
            timeout=timeout,
            fail_silently=False,
        )

    def translate(self, exc: Exception) -> ConnectorError | None:
        cause = exc.__cause__ if isinstance(exc, _Transient) else exc
        if isinstance(cause, smtplib.SMTPAuthenticationError):
            return ConnectorError(f"SMTP login refused: {cause.smtp_code} {_text(cause)}")
        if isinstance(cause, smtplib.SMTPRecipientsRefused):
            refused = ", ".join(
                f"{to}: {code} {msg.decode(errors='replace')}"
                for to, (code, msg) in cause.recipients.items()
            )
            return ConnectorError(f"recipients refused: {refused}")
        if isinstance(cause, smtplib.SMTPResponseException):
            return ConnectorError(
                f"SMTP {cause.smtp_code} {_text(cause)}", retryable=400 <= cause.smtp_code < 500
            )
        if isinstance(cause, (smtplib.SMTPException, OSError)):
            return ConnectorError(f"SMTP server unreachable: {cause}", retryable=True)
        return None

    def _attempt(self, work: Any) -> Any:
        """Run `work(connection)` on a fresh connection, retrying transient failures."""

        def attempt() -> Any:
            try:
                return work(self._connection())
            except OSError as exc:  # smtplib's errors are OSErrors too
                if _transient(exc):
                    raise _Transient(str(exc)) from exc
                raise

        return retrying(attempt, retry_on=(_Transient,))

    def op_notify(
        self, *, to: Any, subject: str, body: str, options: CallOptions, **extra: Any
    ) -> Result:
        context = {"to": to, **extra}
        subject_source = self.config.get("subject_template") or subject
        body_source = self.config.get("body_template") or body
        context.update(subject=subject, body=body)
        rendered_subject = " ".join(render(subject_source, context).split())  # one header line
        rendered_body = render(body_source, context)
        recipients = _recipients(to)
        if not recipients:
            return Result(Outcome.PERMANENT, "no recipient address")
        data = {"to": recipients, "subject": rendered_subject}
        if options.dry_run:
            return Result(
                Outcome.WOULD_CHANGE,
                f"would email {', '.join(recipients)}: {rendered_subject}",
                data,
            )
        sender = self.config.get("from_email") or settings.DEFAULT_FROM_EMAIL
        message = EmailMessage(rendered_subject, rendered_body, sender, recipients)
        self._attempt(lambda connection: connection.send_messages([message]))
        return Result(Outcome.CHANGED, f"emailed {', '.join(recipients)}", data)

    def check(self) -> Result:
        def open_and_close(connection: Any) -> None:
            connection.open()  # connects and logs in, so it checks the credentials too
            connection.close()

        self._attempt(open_and_close)
        where = self.config.get("host") or "the project's email backend"
        return Result(Outcome.ALREADY, f"connected to {where}")


def _transient(exc: OSError) -> bool:
    """4xx replies and lost connections may pass; 5xx replies and refused recipients will not."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    return not isinstance(exc, smtplib.SMTPException)


def _text(exc: smtplib.SMTPResponseException) -> str:
    raw = exc.smtp_error
    return raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
