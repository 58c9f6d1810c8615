"""Schemathesis against the generated schema, through the WSGI application in this process, as
an admin's API token: for every operation, bounded generated requests (valid and not) give no
5xx, and every answer conforms to the schema (status code, content type, body)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from connectors.models import Connector
from tests.approvals.support import waiting_run
from tests.support.factories import published
from tests.triggers.conftest import triggered

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_schema(db: None) -> Iterator[Any]:
    # As Django's test client does: a request's end must not close the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def objects(db: None) -> None:
    """Something for ids to find: a webhook workflow, a waiting run with its task, a connector."""
    published(triggered("fuzzed-hires", "webhook"))
    waiting_run()
    Connector.objects.create(name="directory", type="local", config={})


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_server_error_and_every_answer_fits_the_schema(
    case: Any, objects: None, admin_token: str
) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)
