"""The diff of two versions lists exactly the changed blocks, edges and fields, on the server
and on the page (list items and the graph's highlights); bad choices get a form error."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from django.test import Client

from tests.console.support import staff
from tests.support.documents import block, edge, four_step
from tests.support.factories import admin_user, journal_connector, published
from workflows import documents
from workflows.diff import diff_documents
from workflows.models import Workflow
from workflows.services.versions import draft_save

pytestmark = pytest.mark.django_db


def two_versions(tmp_path: Path) -> Workflow:
    journal_connector(tmp_path)
    v1 = four_step()
    published(v1)
    v2 = copy.deepcopy(v1)
    by_key = {b["key"]: b for b in v2["blocks"]}
    by_key["add_staff"]["config"]["args"]["group"] = "Employees"  # one field changed
    by_key["notify"]["config"]["cc"] = "audit@acme.example"  # one field added
    by_key["is_joiner"]["label"] = "Is a joiner?"  # a block field changed
    v2["blocks"] = [b for b in v2["blocks"] if b["key"] != "skip"]  # a block removed
    v2["blocks"].append(block("note_leaver", "logic", "noop"))  # a block added
    v2["edges"] = [e for e in v2["edges"] if e["to"] != "skip"]
    v2["edges"].append(edge("is_joiner", "note_leaver", "false"))  # re-pointed edge
    workflow = Workflow.objects.get(slug="four-step")
    draft_save(workflow=workflow, document=v2, actor=None)  # a draft diffs like any version
    return workflow


EXPECTED = {
    "block:note_leaver",
    "block:skip",
    "block:add_staff",
    "field:add_staff:config.args.group",
    "block:is_joiner",
    "field:is_joiner:label",
    "block:notify",
    "field:notify:config.cc",
    "edge:is_joiner:false:note_leaver",
    "edge:is_joiner:false:skip",
}


def test_the_server_side_diff_names_exactly_what_changed(tmp_path: Path) -> None:
    workflow = two_versions(tmp_path)
    old, new = (documents.version_document(workflow.versions.get(number=n)) for n in (1, 2))
    diff = diff_documents(old, new)
    assert [b["key"] for b in diff.blocks_added] == ["note_leaver"]
    assert [b["key"] for b in diff.blocks_removed] == ["skip"]
    assert {c.key: [(f.path, f.change) for f in c.changes] for c in diff.blocks_changed} == {
        "add_staff": [("config.args.group", "changed")],
        "is_joiner": [("label", "changed")],
        "notify": [("config.cc", "added")],
    }
    assert diff.edges_added == ({"from": "is_joiner", "to": "note_leaver", "outcome": "false"},)
    assert diff.edges_removed == ({"from": "is_joiner", "to": "skip", "outcome": "false"},)


def test_the_diff_page_lists_exactly_the_changes_and_marks_them_on_the_graph(
    tmp_path: Path,
) -> None:
    workflow = two_versions(tmp_path)
    client = Client()
    client.force_login(admin_user())
    page = client.get(f"/admin/workflows/workflow/{workflow.pk}/versions/diff/?old=1&new=2")
    assert page.status_code == 200
    text = page.content.decode()
    assert set(re.findall(r'data-item="([^"]+)"', text)) == EXPECTED
    assert "<del>Staff</del> → <ins>Employees</ins>" in text
    marked = {key: css for css, key in re.findall(r'<g class="node ?(\w*)" id="block-(\w+)"', text)}
    assert marked == {
        "start": "",
        "is_joiner": "changed",
        "add_staff": "changed",
        "notify": "changed",
        "note_leaver": "added",
        "skip": "removed",
    }
    assert 'class="edge added" data-edge="is_joiner:false:note_leaver"' in text
    assert 'class="edge removed" data-edge="is_joiner:false:skip"' in text
    assert 'class="edge" data-edge="start:next:is_joiner"' in text  # unchanged stays plain


def test_the_same_version_twice_or_a_missing_one_gets_a_form_error(tmp_path: Path) -> None:
    workflow = two_versions(tmp_path)
    client = Client()
    client.force_login(admin_user())
    url = f"/admin/workflows/workflow/{workflow.pk}/versions/diff/"
    for query, message in (
        ({"old": 1, "new": 1}, "Choose two different versions."),
        ({"old": 1, "new": 9}, "four-step has no version 9."),
        ({"old": "one", "new": 2}, "Enter a whole number."),
        ({"old": 10**30, "new": 2}, "less than or equal to"),
    ):
        page = client.get(url, query)
        assert page.status_code == 400, query
        assert 'class="errorlist' in page.content.decode(), query
        assert message in page.content.decode(), query
    assert client.get(url).status_code == 200  # the empty form


def test_a_person_who_may_not_view_the_workflow_is_refused(tmp_path: Path) -> None:
    workflow = two_versions(tmp_path)
    client, _ = staff("stranger")
    # another person's workflow is absent for them: its pages answer 404 (idconfluence.admin_access)
    assert (
        client.get(
            f"/admin/workflows/workflow/{workflow.pk}/versions/diff/?old=1&new=2"
        ).status_code
        == 404
    )
    assert client.get(f"/admin/workflows/workflow/{workflow.pk}/versions/").status_code == 404
