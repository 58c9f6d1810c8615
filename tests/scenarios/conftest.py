"""The seed's scenarios on real servers: gunicorn serving the product (webhooks, approval pages),
a real `qcluster` doing the work and sending mail to aiosmtpd, a fresh scim2-server per test and
the session's slapd. Every test stores through committed transactions the servers can read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connectors.servers import SmtpServer, slapd, smtp_server
from tests.scenarios.support import Inbox, Scim, scim_service
from tests.support.cluster import Process, start_cluster
from tests.support.gunicorn import Gunicorn

__all__ = ["cluster", "inbox", "scim", "slapd", "smtp_server", "web"]


@pytest.fixture
def web(gunicorn_per_module: Gunicorn) -> Gunicorn:
    return gunicorn_per_module


@pytest.fixture
def scim() -> Iterator[Scim]:
    with scim_service() as service:
        yield service


@pytest.fixture
def cluster(tmp_path: Path, web: Gunicorn, smtp_server: SmtpServer) -> Iterator[Process]:
    """Workers whose approval emails link to the web server and reach the SMTP server."""
    process = start_cluster(
        tmp_path,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=str(smtp_server.port),
        IDC_PUBLIC_URL=f"http://127.0.0.1:{web.port}",
    )
    yield process
    process.stop()


@pytest.fixture
def inbox(smtp_server: SmtpServer) -> Inbox:
    return Inbox(smtp_server, len(smtp_server.messages))
