"""GET/PUT workflows/<id>/draft/: the draft opens (made on first use), saves with optimistic
concurrency, and refuses bad or hostile bodies with a 400 that names the problem."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from workflows.models import Block, Workflow
from workflows.status import VersionState

from .conftest import API, EDITOR_PERMS, client_for, person

pytestmark = pytest.mark.django_db


def draft_url(workflow: Workflow) -> str:
    return f"{API}workflows/{workflow.pk}/draft/"


def test_opening_makes_the_first_draft_a_copy_of_the_published_version(
    api: APIClient, joiner: Workflow
) -> None:
    first = api.get(draft_url(joiner))
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["number"] == 2
    assert [b["key"] for b in body["document"]["blocks"]][:3] == [
        "hire",
        "person",
        "standard_tools",
    ]
    assert body["can"] == {"change": True, "publish": True, "run": True}
    again = api.get(draft_url(joiner)).json()
    assert (again["number"], again["revision"]) == (2, body["revision"])
    assert joiner.versions.filter(state=VersionState.DRAFT).count() == 1


def test_a_workflow_added_in_the_console_opens_with_a_trigger_only_draft() -> None:
    workflow = Workflow.objects.create(slug="new-one", name="New one")
    user = person("nia", *EDITOR_PERMS, workflow=workflow)
    body = client_for(user).get(draft_url(workflow)).json()
    assert [(b["kind"], b["type"]) for b in body["document"]["blocks"]] == [("trigger", "manual")]
    assert body["document"]["edges"] == []


def test_saving_writes_the_draft_and_gives_a_new_revision(api: APIClient, joiner: Workflow) -> None:
    opened = api.get(draft_url(joiner)).json()
    document = opened["document"]
    document["blocks"][1]["label"] = "The new hire"
    document["blocks"][1]["position"] = {"x": 210, "y": 15}
    saved = api.put(draft_url(joiner), {"revision": opened["revision"], "document": document})
    assert saved.status_code == 200, saved.content
    assert saved.json()["revision"] != opened["revision"]
    assert saved.json()["saved_by"] == "erin"
    block = Block.objects.get(version__workflow=joiner, version__state="draft", key="person")
    assert (block.label, block.position_x, block.position_y) == ("The new hire", 210, 15)


def test_a_stale_save_is_refused_naming_who_saved_last(joiner: Workflow) -> None:
    erin = client_for(person("erin2", *EDITOR_PERMS, workflow=joiner))
    sam = client_for(person("sam", *EDITOR_PERMS, workflow=joiner))
    loaded_by_erin = erin.get(draft_url(joiner)).json()
    loaded_by_sam = sam.get(draft_url(joiner)).json()
    sams = loaded_by_sam["document"]
    sams["blocks"][1]["label"] = "Sam's label"
    assert sam.put(draft_url(joiner), {"revision": loaded_by_sam["revision"], "document": sams})
    erins = loaded_by_erin["document"]
    erins["blocks"][1]["label"] = "Erin's label"
    refused = erin.put(
        draft_url(joiner), {"revision": loaded_by_erin["revision"], "document": erins}
    )
    assert refused.status_code == 409
    body = refused.json()
    assert body["saved_by"] == "sam"
    assert "saved by sam" in body["detail"] and "not saved" in body["detail"]
    label = Block.objects.get(version__workflow=joiner, version__state="draft", key="person").label
    assert label == "Sam's label"  # nothing of the stale save was written


def test_an_invalid_document_is_refused_with_the_problem_on_its_block(
    api: APIClient, joiner: Workflow
) -> None:
    opened = api.get(draft_url(joiner)).json()
    document = opened["document"]
    document["blocks"][2]["key"] = "Not A Key!"
    refused = api.put(draft_url(joiner), {"revision": opened["revision"], "document": document})
    assert refused.status_code == 400
    [issue, *_] = refused.json()["issues"]
    assert issue["block"] == "Not A Key!" and issue["message"].startswith("blocks/2/key")
    assert api.get(draft_url(joiner)).json()["revision"] == opened["revision"]  # unchanged


def test_a_document_cannot_rename_or_move_the_workflow(api: APIClient, joiner: Workflow) -> None:
    opened = api.get(draft_url(joiner)).json()
    document = {
        **opened["document"],
        "workflow": {"slug": "other", "name": "Other", "description": ""},
    }
    assert (
        api.put(
            draft_url(joiner), {"revision": opened["revision"], "document": document}
        ).status_code
        == 200
    )
    joiner.refresh_from_db()
    assert (joiner.slug, joiner.name) == ("joiner-standard-access", "Joiner: standard access")
    assert not Workflow.objects.filter(slug="other").exists()


def test_people_without_the_permission_are_refused(joiner: Workflow) -> None:
    stranger = client_for(person("stranger"))
    assert stranger.get(draft_url(joiner)).status_code == 404  # not even its existence
    viewer = client_for(person("vic", "workflows.view_workflow", workflow=joiner))
    assert viewer.get(draft_url(joiner)).status_code == 403  # may not create the draft
    editor = client_for(person("ed", *EDITOR_PERMS, workflow=joiner))
    opened = editor.get(draft_url(joiner)).json()
    assert viewer.get(draft_url(joiner)).status_code == 200  # now there is one to read
    refused = viewer.put(
        draft_url(joiner), {"revision": opened["revision"], "document": opened["document"]}
    )
    assert refused.status_code == 403
    assert "may not change" in refused.json()["detail"]


def test_without_the_csrf_token_a_save_is_refused(editor: Any, joiner: Workflow) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    assert (
        client.put(draft_url(joiner), {"revision": "x", "document": {}}, format="json").status_code
        == 403
    )


HOSTILE = [
    b"not json",
    b"[1, 2]",
    b'{"revision": "x", "document": "a string"}',
    b'{"revision": "x"}',
    b'{"document": {}}',
    b'{"revision": "x", "document": {"blocks": NaN}}',
    b'{"revision": "x", "document": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"revision": "x", "document": {"format": "idconfluence.workflow/v1", "workflow": {},'
    b' "blocks": [{}], "edges": [{}]}}',
    b'{"revision": "x", "document": {"a": "\\u0000"}}',
    b'{"revision": "' + b"r" * 100 + b'", "document": {}}',
    '{"revision": "x", "document": {"k": "\udcff"}}'.encode("utf-8", "surrogatepass"),
    b"\xff\xfe",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_bodies_get_a_400_with_a_message(
    api: APIClient, joiner: Workflow, body: bytes
) -> None:
    opened = api.get(draft_url(joiner)).json()
    response = api.put(draft_url(joiner), body, content_type="application/json")
    assert response.status_code in (400, 409), response.content
    assert json.loads(response.content)  # a JSON answer that says what was wrong
    assert api.get(draft_url(joiner)).json()["revision"] == opened["revision"]


def test_a_hostile_document_with_the_right_revision_is_refused_whole(
    api: APIClient, joiner: Workflow
) -> None:
    opened = api.get(draft_url(joiner)).json()
    document = opened["document"]
    document["edges"].append({"from": "hire", "to": "nowhere", "outcome": "next"})
    document["blocks"].append({**document["blocks"][1]})  # a repeated key
    response = api.put(draft_url(joiner), {"revision": opened["revision"], "document": document})
    assert response.status_code == 400
    assert api.get(draft_url(joiner)).json()["revision"] == opened["revision"]
