"""An operator does a joiner through the API alone, as a machine client with one token: create
the connectors, import the joiner workflow and have it published (four-eyes: a second person's
API client publishes what the operator imported), rotate its webhook secret, receive a
signed HR event, read the run and its executions with their steps, and retry the execution that
parked on a connector pointed at a dead port once the connector is fixed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from audit.models import AuditEvent
from connectors.models import LocalGrant
from tests.api.conftest import closed_port, token_for, user_with
from tests.support.factories import perform
from tests.triggers.conftest import Sender
from workflows.models import Run
from workflows.models_triggers import WebhookEndpoint

pytestmark = [pytest.mark.django_db, pytest.mark.servers]
JOINER = Path(__file__).resolve().parents[2] / "workflows" / "demo" / "joiner.json"
OPERATOR = (
    "connectors.add_connector",
    "connectors.view_connector",
    "connectors.change_connector",
    "connectors.use_connector",
    "workflows.add_workflow",
    "workflows.view_workflow",
    "workflows.change_workflow",
    "workflows.publish_workflow",
    "workflows.run_workflow",
    "workflows.operate_execution",
)
# The second person of four-eyes: reads workflows and publishes them, changes nothing else.
REVIEWER = ("workflows.view_workflow", "workflows.publish_workflow")
HIRE = {
    "eventId": "hire-0001",
    "worker": {
        "userName": "ann.lee",
        "organization": {"name": "Finance"},
        "riskScore": 55,
        "manager": {"email": "boss@acme.example"},
    },
}


def joiner_from_hr() -> dict[str, Any]:
    """The demo joiner, triggered by the HR system's webhook; the access review it flags goes
    to the review board's REST API."""
    document: dict[str, Any] = copy.deepcopy(json.loads(JOINER.read_text()))
    blocks = {block["key"]: block for block in document["blocks"]}
    blocks["hire"].update(type="webhook", config={"idempotency_key": "payload.eventId"})
    blocks["flag_review"]["config"]["connector"] = "review-board"
    return document


def review_board(base_url: str) -> dict[str, Any]:
    return {
        "base_url": base_url,
        "auth": "bearer",
        "operations": {"assign_role": {"method": "POST", "path": "/reviews"}},
    }


def test_an_operator_does_a_joiner_through_the_api_alone(httpserver: Any) -> None:
    operator = user_with("ops", OPERATOR)
    _, text = token_for(operator)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {text}")

    def call(method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
        response = getattr(api, method)(f"/api/v1/{path}", **kwargs)
        assert response.status_code == expect, (path, response.content[:500])
        return response.json()

    # 1. The connectors: the built-in directory and the review board (at a dead port for now).
    call("post", "connectors/", {"name": "local-directory", "type": "local"}, 201)
    board = call(
        "post",
        "connectors/",
        {
            "name": "review-board",
            "type": "rest",
            "config": review_board(f"http://127.0.0.1:{closed_port()}"),
            "secrets": {"token": "tok-REVIEW-board-1"},
        },
        201,
    )
    assert board["secrets_set"] == ["token"] and "tok-REVIEW" not in json.dumps(board)

    # 2. Import and publish the joiner. It grants access, so four-eyes holds: the operator who
    # imported the draft may not publish it (in one call or two); a second person does, through
    # the API too.
    refused = call(
        "post", "workflows/import/", {"document": joiner_from_hr(), "publish": True}, 403
    )
    assert "another person with publish permission" in refused["detail"]
    assert call("get", "workflows/?slug=joiner-standard-access")["results"] == []  # all or nothing
    draft = call("post", "workflows/import/", {"document": joiner_from_hr()}, 201)
    assert draft["state"] == "draft" and draft["number"] == 1
    workflow = call("get", "workflows/?slug=joiner-standard-access")["results"][0]
    refused = call("post", f"workflows/{workflow['id']}/publish/", {"version": 1}, 403)
    assert "you changed draft v1 last" in refused["detail"]
    reviewer = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(user_with('reviewer', REVIEWER))[1]}")
    version = reviewer.post(
        f"/api/v1/workflows/{workflow['id']}/publish/",
        data=json.dumps({"version": 1}),
        content_type="application/json",
    )
    assert version.status_code == 200, version.content[:500]
    assert version.json()["state"] == "published" and version.json()["number"] == 1
    workflow = call("get", "workflows/?slug=joiner-standard-access")["results"][0]
    assert workflow["published_version"] == 1
    exported = call("get", f"workflows/{workflow['id']}/export/")
    assert [b["key"] for b in exported["blocks"]] == [b["key"] for b in joiner_from_hr()["blocks"]]
    uses = call("get", f"connectors/{board['id']}/workflows/")
    assert uses[0]["slug"] == "joiner-standard-access"
    assert uses[0]["versions"][0]["blocks"] == ["flag_review"]

    # 3. Rotate the webhook secret: shown once, then only "has_secret".
    rotated = call("post", f"workflows/{workflow['id']}/webhook/rotate-secret/", expect=200)
    assert rotated["secret"].startswith("whsec_") and rotated["has_secret"] is True
    endpoint_info = call("get", f"workflows/{workflow['id']}/webhook/")
    assert "secret" not in endpoint_info and endpoint_info["path"] == rotated["path"]

    # 4. The HR system sends a signed hire event; a worker performs the run.
    endpoint = WebhookEndpoint.objects.get(workflow_id=workflow["id"])
    accepted = Sender(Client(), endpoint, rotated["secret"]).post(HIRE, msg_id="msg_hire_1")
    assert accepted.status_code == 202, accepted.content
    parked = perform(Run.objects.get(workflow_id=workflow["id"]))
    assert parked.state == "parked"

    # 5. Read the run, its executions and the steps: it parked at the review board.
    runs = call("get", f"runs/?workflow={workflow['id']}&state=failed")["results"]
    assert len(runs) == 1 and runs[0]["trigger_kind"] == "webhook"
    run = call("get", f"runs/{runs[0]['id']}/")
    assert [e["state"] for e in run["executions"]] == ["parked"]
    in_queue = call("get", f"executions/?workflow={workflow['id']}&state=parked")["results"]
    assert [e["id"] for e in in_queue] == [parked.pk]
    execution = call("get", f"executions/{parked.pk}/")
    assert execution["failed_block"] == "flag_review" and execution["failure_reason"]
    steps = call("get", f"executions/{parked.pk}/steps/")
    assert [s["block_key"] for s in steps] == [s["block_key"] for s in execution["steps"]]
    assert [s["block_key"] for s in steps][:3] == ["hire", "person", "standard_tools"]
    assert steps[-1]["block_key"] == "flag_review" and steps[-1]["state"] != "succeeded"
    assert "tok-REVIEW" not in json.dumps(steps)

    # 6. Fix the connector (the board is up now) and retry from the failed step.
    httpserver.expect_request("/reviews", method="POST").respond_with_json({"id": "r1"})
    call("patch", f"connectors/{board['id']}/", {"config": review_board(httpserver.url_for(""))})
    retry = call("post", f"executions/{parked.pk}/retry/", expect=201)
    assert retry["state"] == "queued" and retry["start_block"] == "flag_review"
    again = call("post", f"executions/{parked.pk}/retry/", expect=409)
    assert "already retried" in again["detail"]
    finished = perform(Run.objects.get(pk=run["id"]))

    assert finished.state == "succeeded", finished.failure_reason
    assert call("get", f"runs/{run['id']}/")["state"] == "succeeded"
    assert LocalGrant.objects.filter(user="ann.lee", value="Finance-Analysts").exists()
    request, _ = httpserver.log[0]
    assert request.headers["Authorization"] == "Bearer tok-REVIEW-board-1"
    acted = set(AuditEvent.objects.filter(actor_label="ops").values_list("action", flat=True))
    assert {
        "connector.created",
        "connector.changed",
        "workflow.imported",
        "webhook.secret_rotated",
        "run.retried",
    } <= acted
    assert "workflow.published" not in acted
    assert AuditEvent.objects.filter(actor_label="reviewer", action="workflow.published").exists()
