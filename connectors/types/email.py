"""Email connector: `notify` through Django's email backend.

With no `host` configured it uses the project's EMAIL_* settings (SMTP in production); with a
`host` it talks SMTP to that server. The block's subject and body arrive already rendered (the
engine renders a block's `{{ }}` templates once, where the block defines them) and are sent as
plain text: this connector never compiles them, so a payload value such as `{% now "Y" %}`
or `{{ settings.SECRET_KEY }}` is mailed verbatim. Only the operator's `subject_template` and
`body_template` (connector config) are Django templates, over the block input ("[IDC] {{ subject
}}"); the input's values are inserted into them as data, never parsed. Transient SMTP failures
(connection errors, 4xx replies) are retried within the call's time budget; 5xx replies fail at
once.

Once the end of DATA has left, the server may deliver the message whatever happens next, so a
connection lost or timed out then is UNKNOWN and the message is not sent again. Its Message-ID
is derived from the call's idempotency key (`<idc.{sha256(key)[:32]}@{sender's domain}>`), the
same on every attempt: a reconciling call sends it again under that id, and receivers that
de-duplicate by Message-ID show it once.
"""

from __future__ import annotations

import hashlib
import smtplib
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend

from connectors.base import CallOptions, ConnectorError, Outcome, Result
from connectors.retry import BudgetedConnector, current_budget, retrying
from connectors.templating import render

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class _Transient(Exception):
    """An SMTP failure worth another attempt."""


class _WatchedSMTP(smtplib.SMTP):
    """Notes when a message's terminating "." has been sent: from then on it may be delivered."""

    message_sent = False
    _in_data = False

    def data(self, msg: Any) -> tuple[int, bytes]:
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def send(self, s: Any) -> None:
        super().send(s)
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.message_sent = True


class _WatchedSMTPSSL(_WatchedSMTP, smtplib.SMTP_SSL):
    pass


class _WatchedBackend(EmailBackend):
    """Django's SMTP backend, remembering whether a failed send had passed the end of DATA."""

    message_sent = False

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _WatchedSMTPSSL if self.use_ssl else _WatchedSMTP

    def _send(self, email_message: Any) -> bool:
        try:
            return bool(super()._send(email_message))  # type: ignore[misc]
        except Exception:
            self.message_sent = bool(getattr(self.connection, "message_sent", False))
            raise


def message_id(key: str, sender: str) -> str:
    """The Message-ID of every attempt of one call: the idempotency key, hashed."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "idconfluence.invalid"
    return f"<idc.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


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
            if settings.EMAIL_BACKEND == SMTP_BACKEND:  # the project's SMTP settings
                return _WatchedBackend(timeout=timeout, fail_silently=False)
            return get_connection(timeout=timeout)
        return _WatchedBackend(
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
        # The block's text is data: only the operator's config templates are compiled.
        context = {"to": to, **extra, "subject": subject, "body": body}
        subject_template = self.config.get("subject_template")
        body_template = self.config.get("body_template")
        text_subject = render(subject_template, context) if subject_template else _text_of(subject)
        rendered_subject = " ".join(text_subject.split())  # one header line
        rendered_body = render(body_template, context) if body_template else _text_of(body)
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
        headers = {}
        if options.idempotency_key:
            headers["Message-ID"] = data["message_id"] = message_id(options.idempotency_key, sender)
        message = EmailMessage(rendered_subject, rendered_body, sender, recipients, headers=headers)

        def send(connection: Any) -> None:
            try:
                connection.send_messages([message])
            except OSError as exc:  # a reply (even 4xx/5xx after DATA) is a clean answer
                if getattr(connection, "message_sent", False) and not isinstance(
                    exc, smtplib.SMTPResponseException
                ):
                    raise ConnectorError(
                        f"may have been applied: the connection was lost after the message was "
                        f"sent ({type(exc).__name__}: {exc}); not sent again",
                        unknown=True,
                    ) from exc
                raise

        self._attempt(send)
        done = f"emailed {', '.join(recipients)}"
        if options.reconcile:
            again = f" with the same Message-ID {data['message_id']}" if headers else ""
            done += f"; sent again{again} (an earlier attempt's outcome was unknown"
            done += "; receivers de-duplicate by Message-ID)" if headers else ")"
        return Result(Outcome.CHANGED, done, data)

    def check(self) -> Result:
        def open_and_close(connection: Any) -> None:
            connection.open()  # connects and logs in, so it checks the credentials too
            connection.close()

        self._attempt(open_and_close)
        where = self.config.get("host") or "the project's email backend"
        return Result(Outcome.ALREADY, f"connected to {where}")


def _text_of(value: Any) -> str:
    return "" if value is None else str(value)


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
