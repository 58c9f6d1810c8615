"""Builder fixtures: the seed's joiner workflow, the local directory it provisions into, and
people with exactly the object permissions each test needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from connectors.models import Connector
from workflows.models import FourEyes, Workflow
from workflows.services.versions import workflow_import

JOINER = Path(__file__).resolve().parents[2] / "workflows" / "demo" / "joiner.json"
SAMPLES = Path(__file__).resolve().parents[2] / "workflows" / "demo" / "samples"
API = "/api/v1/builder/"


def joiner_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(JOINER.read_text())
    return document


def hire_sample() -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((SAMPLES / "workday-hire.json").read_text())
    return sample


def person(username: str, *perms: str, workflow: Workflow | None = None) -> Any:
    """A staff user holding `perms` ("workflows.change_workflow") on `workflow`, or globally."""
    user = get_user_model().objects.create_user(username, f"{username}@acme.example", "pw-1-Aa!")
    user.is_staff = True
    user.save()
    for perm in perms:
        if workflow is not None and perm.startswith("workflows."):
            assign_perm(perm, user, workflow)
        else:
            assign_perm(perm, user)
    return user


def client_for(user: Any) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.default_format = "json"
    client.force_login(user)
    client.get("/admin/")  # sets the CSRF cookie, as the builder page does
    token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
    client.credentials(HTTP_X_CSRFTOKEN=token)
    return client


@pytest.fixture
def directory() -> Connector:
    return Connector.objects.create(name="local-directory", type="local")


@pytest.fixture
def joiner(directory: Connector) -> Workflow:
    """Four-eyes off: these tests are about the builder; tests/access attacks four-eyes."""
    workflow = workflow_import(document=joiner_document(), actor=None, publish=True).workflow
    workflow.four_eyes = FourEyes.OFF
    workflow.save(update_fields=["four_eyes"])
    return workflow


EDITOR_PERMS = (
    "workflows.view_workflow",
    "workflows.change_workflow",
    "workflows.publish_workflow",
    "workflows.run_workflow",
    "connectors.use_connector",  # the joiner's blocks call the directory
)


@pytest.fixture
def editor(joiner: Workflow) -> Any:
    return person("erin", *EDITOR_PERMS, workflow=joiner)


@pytest.fixture
def api(editor: Any) -> APIClient:
    return client_for(editor)
