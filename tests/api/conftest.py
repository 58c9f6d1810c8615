"""API test helpers: users holding exactly the permissions of each role, API tokens for them, and
a client that sends a token like a machine client does."""

from __future__ import annotations

import socket
from datetime import datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from idconfluence.apitokens.models import ApiToken, Scope
from idconfluence.apitokens.services import token_issue

# What each role holds globally (model permissions), as issue 14's roles describe them.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "manager": ("workflows.add_workflow", "connectors.add_connector"),
    "operator": (
        "workflows.view_workflow",
        "connectors.view_connector",
        "workflows.operate_execution",
    ),
    "approver": (),
    "auditor": (
        "workflows.view_workflow",
        "workflows.view_workflowversion",
        "workflows.view_run",
        "workflows.view_execution",
        "workflows.view_step",
        "connectors.view_connector",
        "approvals.view_approvaltask",
        "audit.view_auditevent",
    ),
    "nobody": (),
}
# What a compliance manager holds on the workflow and connector they own (guardian).
OWNER_WORKFLOW = ("view_workflow", "change_workflow", "publish_workflow", "run_workflow")
OWNER_CONNECTOR = ("view_connector", "change_connector", "use_connector")


def user_with(username: str, perms: tuple[str, ...] = ()) -> Any:
    user = get_user_model().objects.create_user(
        username, f"{username}@acme.example", "pw-Unused-123"
    )
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)  # a fresh permission cache


# The groups the access migration creates (workflows/0009_access_groups): the roles as shipped.
ROLE_GROUPS = {
    "manager": "Compliance managers",
    "operator": "Operators",
    "approver": "Approvers",
    "auditor": "Auditors",
    "nobody": None,
}


def role_user(role: str) -> Any:
    """A person in the role's group, holding nothing else (so the shipped roles are tested)."""
    user = user_with(f"{role}-user")
    group = ROLE_GROUPS[role]
    if group:
        user.groups.add(Group.objects.get(name=group))
    return get_user_model().objects.get(pk=user.pk)


def grant(user: Any, perms: tuple[str, ...], obj: Any) -> None:
    for perm in perms:
        assign_perm(perm, user, obj)


def token_for(
    user: Any, scope: str = Scope.WRITE, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    token = ApiToken(name=f"{user.username} client", user=user, scope=scope, expires_at=expires_at)
    return token, token_issue(token=token, actor=None)


def api(text: str | None = None) -> APIClient:
    """A machine client: JSON bodies, the token in Authorization (none: anonymous)."""
    client = APIClient()
    if text:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def client_for(user: Any, scope: str = Scope.WRITE) -> APIClient:
    return api(token_for(user, scope)[1])


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def admin_token(db: None) -> str:
    admin = get_user_model().objects.create_superuser(
        "api-admin", "api-admin@acme.example", "pw-Admin-123"
    )
    return token_for(admin)[1]
