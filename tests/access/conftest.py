"""People in each role (the groups the access migration creates) and a small world to act on:
a workflow and a connector a compliance manager created (theirs: "mine"), and another pair
nobody gave them ("theirs"), each published with a new draft and one run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from connectors.access import CONNECTORS
from connectors.models import Connector
from tests.support.documents import block, document, edge
from tests.support.factories import journal_connector
from workflows.models import Run, Workflow, WorkflowVersion
from workflows.services.runs import run_start
from workflows.services.versions import draft_from_version, version_publish, workflow_import

ROLES = {
    "compliance": "Compliance managers",
    "operator": "Operators",
    "approver": "Approvers",
    "auditor": "Auditors",
    "nobody": None,
}


def person(username: str, group: str | None = None, *, staff: bool = True) -> Any:
    user = get_user_model().objects.create_user(
        username, f"{username}@acme.example", "pw-Person-123", is_staff=staff
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def joiner(slug: str, connector: str) -> dict[str, Any]:
    """Manual trigger -> add the joiner to Staff: a block that grants access (four-eyes on)."""
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block(
                "add_staff",
                "action",
                "add_group_member",
                connector=connector,
                args={"user": "=event.user", "group": "Staff"},
            ),
        ],
        [edge("start", "add_staff")],
    )


@dataclass
class World:
    people: dict[str, Any]
    mine: Workflow
    theirs: Workflow
    my_connector: Connector
    their_connector: Connector
    my_draft: WorkflowVersion
    their_draft: WorkflowVersion
    my_run: Run
    their_run: Run


@pytest.fixture
def world(db: None, tmp_path: Path) -> World:
    people = {role: person(role, group) for role, group in ROLES.items()}
    compliance = people["compliance"]
    my_connector = journal_connector(tmp_path, "my-directory")
    CONNECTORS.grant_creator(compliance, my_connector)
    their_connector = journal_connector(tmp_path, "their-directory")

    mine = workflow_import(document=joiner("my-joiner", "my-directory"), actor=compliance)
    version_publish(version=mine, actor=None)  # published by the system: not four-eyes bound
    theirs = workflow_import(document=joiner("their-joiner", "their-directory"), actor=None)
    version_publish(version=theirs, actor=None)
    my_draft = draft_from_version(version=mine, actor=compliance)
    their_draft = draft_from_version(version=theirs, actor=None)
    return World(
        people=people,
        mine=mine.workflow,
        theirs=theirs.workflow,
        my_connector=my_connector,
        their_connector=their_connector,
        my_draft=my_draft,
        their_draft=their_draft,
        my_run=run_start(workflow=mine.workflow, input={"user": "ann"}),
        their_run=run_start(workflow=theirs.workflow, input={"user": "bob"}),
    )
