"""Validate shows problems on the offending block or edge; publish needs the permission, the
revision the person saw and a change note, and refuses an invalid draft with its problems."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEvent
from workflows.models import Workflow
from workflows.status import VersionState

from .conftest import API, client_for, person

pytestmark = pytest.mark.django_db


def url(workflow: Workflow, tail: str) -> str:
    return f"{API}workflows/{workflow.pk}/{tail}"


def saved(api: APIClient, workflow: Workflow, change: Any) -> dict[str, Any]:
    opened = api.get(url(workflow, "draft/")).json()
    document = opened["document"]
    change(document)
    response = api.put(
        url(workflow, "draft/"), {"revision": opened["revision"], "document": document}
    )
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def published_number(workflow: Workflow) -> int | None:
    version = workflow.published_version
    return version.number if version else None


def unwire_false(document: dict[str, Any]) -> None:
    document["edges"] = [
        e for e in document["edges"] if (e["from"], e["outcome"]) != ("risky", "false")
    ]


def test_an_unconnected_branch_is_an_issue_on_its_block(api: APIClient, joiner: Workflow) -> None:
    saved(api, joiner, unwire_false)
    body = api.post(url(joiner, "draft/validate/"), {}).json()
    assert body["ok"] is False
    assert {
        "block": "risky",
        "edge": None,
        "message": "outcome 'false' is not connected to a next block",
    } in body["issues"]
    assert {i["block"] for i in body["issues"]} == {"risky", "done"}  # done is now unreachable


def test_an_outcome_the_block_does_not_have_is_an_issue_on_the_edge(
    api: APIClient, joiner: Workflow
) -> None:
    def wrong(document: dict[str, Any]) -> None:
        document["edges"].append({"from": "standard_tools", "to": "done", "outcome": "maybe"})

    saved(api, joiner, wrong)
    issues = api.post(url(joiner, "draft/validate/"), {}).json()["issues"]
    assert [i["edge"] for i in issues if i["edge"]] == [
        {"from": "standard_tools", "outcome": "maybe", "to": "done"}
    ]


def test_an_unsaved_document_is_validated_as_sent(api: APIClient, joiner: Workflow) -> None:
    document = api.get(url(joiner, "draft/")).json()["document"]
    document["blocks"][7]["config"]["expression"] = "person.risk >"
    document["blocks"][2]["config"]["connector"] = "nope"
    issues = api.post(url(joiner, "draft/validate/"), {"document": document}).json()["issues"]
    by_block = {i["block"]: i["message"] for i in issues}
    assert "invalid expression" in by_block["risky"]
    assert by_block["standard_tools"] == "connector 'nope' does not exist"
    broken = api.post(url(joiner, "draft/validate/"), {"document": {"blocks": 3}})
    assert broken.status_code == 200 and broken.json()["ok"] is False


def test_publish_with_a_change_note(api: APIClient, joiner: Workflow) -> None:
    draft = saved(api, joiner, lambda d: None)
    response = api.post(
        url(joiner, "draft/publish/"),
        {"revision": draft["revision"], "note": "First from the builder"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["number"] == 2
    assert published_number(joiner) == 2
    event = AuditEvent.objects.filter(action="workflow.published").order_by("-seq").first()
    assert event is not None and event.details["change_note"] == "First from the builder"


def test_publish_refuses_an_invalid_draft_with_its_problems(
    api: APIClient, joiner: Workflow
) -> None:
    draft = saved(api, joiner, unwire_false)
    response = api.post(url(joiner, "draft/publish/"), {"revision": draft["revision"], "note": "x"})
    assert response.status_code == 400
    assert "risky" in {i["block"] for i in response.json()["issues"]}
    assert published_number(joiner) == 1
    assert joiner.versions.filter(state=VersionState.DRAFT).exists()


def test_publish_refuses_a_revision_the_person_did_not_see(
    api: APIClient, joiner: Workflow
) -> None:
    before = api.get(url(joiner, "draft/")).json()
    saved(api, joiner, lambda d: d["blocks"][1].update(label="changed"))
    response = api.post(
        url(joiner, "draft/publish/"), {"revision": before["revision"], "note": "x"}
    )
    assert response.status_code == 409
    assert "saved by erin" in response.json()["detail"]
    assert published_number(joiner) == 1


def test_publish_needs_a_note_and_the_permission(api: APIClient, joiner: Workflow) -> None:
    draft = saved(api, joiner, lambda d: None)
    blank = api.post(url(joiner, "draft/publish/"), {"revision": draft["revision"], "note": "  "})
    assert blank.status_code == 400 and "note" in blank.json()["errors"]
    changer = client_for(
        person("cara", "workflows.view_workflow", "workflows.change_workflow", workflow=joiner)
    )
    denied = changer.post(
        url(joiner, "draft/publish/"), {"revision": draft["revision"], "note": "x"}
    )
    assert denied.status_code == 403 and "may not publish" in denied.json()["detail"]
    assert published_number(joiner) == 1
