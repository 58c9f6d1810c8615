"""The API half of the permission matrix, generated from ONE table: for each role and a user with
no rights, each endpoint on an object they may touch ("mine": the manager owns it) and one they
may not ("other") gives the expected status. Objects out of sight are 404, in sight but not
yours to act on 403 (with a JSON message), allowed 200/201."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from connectors.models import Connector
from tests.api.conftest import (
    OWNER_CONNECTOR,
    OWNER_WORKFLOW,
    ROLE_PERMISSIONS,
    client_for,
    grant,
    role_user,
)
from tests.support.factories import published
from tests.triggers.conftest import triggered
from workflows.documents import version_document
from workflows.services.runs import run_start
from workflows.services.versions import draft_save

ROLES = ("manager", "operator", "approver", "auditor", "nobody")


@dataclass(frozen=True)
class Row:
    method: str
    path: str  # {workflow}, {run}, {connector} name the object ("mine" or "other")
    body: dict[str, Any] | None
    # role -> (status on mine, status on other)
    expect: dict[str, tuple[int, int]]


def same(status: int) -> tuple[int, int]:
    return (status, status)


HIDDEN = same(404)
TABLE = [
    Row("get", "/api/v1/workflows/{workflow}/", None, {
        "manager": (200, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(200), "nobody": HIDDEN}),
    Row("get", "/api/v1/workflows/{workflow}/export/", None, {
        "manager": (200, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(200), "nobody": HIDDEN}),
    Row("get", "/api/v1/workflows/{workflow}/versions/", None, {
        "manager": (200, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(200), "nobody": HIDDEN}),
    Row("get", "/api/v1/workflows/{workflow}/versions/2/diff/", None, {
        "manager": (200, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(200), "nobody": HIDDEN}),
    Row("post", "/api/v1/workflows/{workflow}/publish/", {}, {
        "manager": (200, 404), "operator": same(403), "approver": HIDDEN,
        "auditor": same(403), "nobody": HIDDEN}),
    Row("post", "/api/v1/workflows/{workflow}/run/", {"input": {"user": "u1"}}, {
        "manager": (201, 404), "operator": same(403), "approver": HIDDEN,
        "auditor": same(403), "nobody": HIDDEN}),
    Row("post", "/api/v1/workflows/{workflow}/webhook/rotate-secret/", {}, {
        "manager": (200, 404), "operator": same(403), "approver": HIDDEN,
        "auditor": same(403), "nobody": HIDDEN}),
    Row("get", "/api/v1/runs/{run}/", None, {
        "manager": (200, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(200), "nobody": HIDDEN}),
    Row("post", "/api/v1/runs/{run}/cancel/", {}, {
        "manager": (403, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(403), "nobody": HIDDEN}),
    Row("get", "/api/v1/executions/{execution}/", None, {
        "manager": (200, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(200), "nobody": HIDDEN}),
    Row("get", "/api/v1/connectors/{connector}/", None, {
        "manager": (200, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(200), "nobody": HIDDEN}),
    Row("patch", "/api/v1/connectors/{connector}/", {"description": "changed"}, {
        "manager": (200, 404), "operator": same(403), "approver": HIDDEN,
        "auditor": same(403), "nobody": HIDDEN}),
    Row("get", "/api/v1/connectors/{connector}/workflows/", None, {
        "manager": (200, 404), "operator": same(200), "approver": HIDDEN,
        "auditor": same(200), "nobody": HIDDEN}),
    # No object yet: creating is a model permission, the same answer for "mine" and "other".
    Row("post", "/api/v1/connectors/", {"name": "new-one", "type": "local"}, {
        "manager": same(201), "operator": same(403), "approver": same(403),
        "auditor": same(403), "nobody": same(403)}),
    Row("post", "/api/v1/workflows/", {"slug": "new-one", "name": "New one"}, {
        "manager": same(201), "operator": same(403), "approver": same(403),
        "auditor": same(403), "nobody": same(403)}),
    Row("get", "/api/v1/audit/events/", None, {
        "manager": same(403), "operator": same(403), "approver": same(403),
        "auditor": same(200), "nobody": same(403)}),
]  # fmt: skip
CASES = [
    pytest.param(row, role, which, id=f"{role}-{row.method}-{row.path}-{which}")
    for row in TABLE
    for role in ROLES
    for which in ("mine", "other")
]


def _world(owner: Any) -> dict[str, dict[str, int]]:
    """Two webhook workflows (published v1, a draft v2, a queued run) and two connectors; the
    manager owns the first of each."""
    found: dict[str, dict[str, int]] = {}
    for which in ("mine", "other"):
        version = published(triggered(f"{which}-hires", "webhook"))
        workflow = version.workflow
        draft_save(workflow=workflow, document=version_document(version), actor=None)
        run = run_start(workflow=workflow, input={"user": "u1"})
        connector = Connector(name=f"{which}-directory", type="local", config={})
        connector.save()
        if which == "mine":
            grant(owner, OWNER_WORKFLOW, workflow)
            grant(owner, OWNER_CONNECTOR, connector)
        found[which] = {
            "workflow": workflow.pk,
            "run": run.pk,
            "execution": run.executions.get().pk,
            "connector": connector.pk,
        }
    return found


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "role", "which"), CASES)
def test_api_matrix(row: Row, role: str, which: str) -> None:
    users = {name: role_user(name) for name in ROLES}
    world = _world(users["manager"])
    client = client_for(users[role])
    path = row.path.format(**world[which])
    call = getattr(client, row.method)

    response = call(path, row.body, format="json") if row.body is not None else call(path)

    expected = row.expect[role][0 if which == "mine" else 1]
    assert response.status_code == expected, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert response.json()["detail"], response.json()


def test_the_table_covers_every_role() -> None:
    assert set(ROLE_PERMISSIONS) == set(ROLES)
    assert all(set(row.expect) == set(ROLES) for row in TABLE)
