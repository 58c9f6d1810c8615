"""The connectors' background job: *Test connection*, which may wait on the network for a whole
window per connector, so it never runs inside a request."""

from __future__ import annotations

from typing import Any

from connectors.models import Connector
from connectors.services import connector_test
from idconfluence.jobs.registry import ItemRefused, JobKind, register

TEST_CONNECTION = "connectors.test_connection"


def _test(object_id: str, actor: Any) -> str:
    connector = Connector.objects.filter(pk=object_id).first()
    if connector is None:
        raise ItemRefused("the connector was deleted")
    result = connector_test(connector=connector, actor=actor)  # Denied: refused by the job
    if not result.ok:
        raise ItemRefused(result.message)
    return result.message


register(
    JobKind(
        name=TEST_CONNECTION,
        verb="Test connection",
        handle=_test,
        permission="",  # connector_test asks CONNECTORS (object permissions included)
        atomic=False,
    )
)
