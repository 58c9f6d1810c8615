"""Publishing validates and freezes; a published version never changes by any path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import transaction
from django.test import Client

from tests.support.documents import four_step
from tests.support.factories import admin_user, journal_connector
from workflows.models import Block, Edge, FrozenVersionError
from workflows.services.versions import (
    DraftExists,
    PublishRefused,
    draft_from_version,
    draft_save,
    version_publish,
    workflow_import,
)

pytestmark = pytest.mark.django_db


def test_publishing_an_invalid_draft_is_refused_naming_the_blocks(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    document = four_step()
    document["blocks"][1]["config"]["expression"] = "event.type =="
    document["blocks"][3]["config"]["connector"] = "nowhere"
    document["edges"] = [e for e in document["edges"] if e["outcome"] != "false"]
    draft = workflow_import(document=document, actor=None)
    with pytest.raises(PublishRefused) as caught:
        version_publish(version=draft, actor=None)
    by_block = caught.value.by_block()
    assert set(by_block) == {"is_joiner", "notify", "skip"}
    assert any("column" in m for m in by_block["is_joiner"])
    assert "outcome 'false' is not connected to a next block" in by_block["is_joiner"]
    assert by_block["notify"] == ["connector 'nowhere' does not exist"]
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_a_published_version_cannot_be_changed_through_the_orm(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = workflow_import(document=four_step(), actor=None, publish=True)
    block = version.blocks.get(key="add_staff")
    block.config = {"connector": "journal", "args": {"user": "mallory", "group": "Admins"}}
    attempts = [
        block.save,
        block.delete,
        version.edges.all().delete,
        lambda: Block.objects.create(version=version, key="extra", kind="logic", type="noop"),
        lambda: version_publish(version=version, actor=None),
    ]
    for attempt in attempts:
        with pytest.raises(FrozenVersionError), transaction.atomic():
            attempt()
    assert Edge.objects.filter(version=version).count() == 4


def test_an_import_never_overwrites_a_published_version(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    published = workflow_import(document=four_step(), actor=None, publish=True)
    changed = four_step()
    changed["blocks"][2]["config"]["args"]["group"] = "Admins"
    draft = workflow_import(document=changed, actor=None)
    assert (draft.number, draft.state) == (2, "draft")
    published.refresh_from_db()
    assert published.state == "published"
    assert published.blocks.get(key="add_staff").config["args"]["group"] == "Staff"
    with pytest.raises(DraftExists):
        workflow_import(document=changed, actor=None)
    version_publish(version=draft, actor=None)
    published.refresh_from_db()
    assert published.state == "retired"


def test_a_published_version_cannot_be_changed_through_the_admin(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = workflow_import(document=four_step(), actor=None, publish=True)
    client = Client()
    client.force_login(admin_user())
    url = f"/admin/workflows/workflowversion/{version.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # read-only: no save button
    block = version.blocks.get(key="add_staff")
    response = client.post(
        f"/admin/workflows/block/{block.pk}/change/",
        {
            "key": "add_staff",
            "kind": "action",
            "type": "add_group_member",
            "config": json.dumps({"connector": "journal"}),
            "version": version.pk,
            "position_x": 0,
            "position_y": 0,
        },
    )
    assert response.status_code == 403
    block.refresh_from_db()
    assert block.config["args"]["group"] == "Staff"


def test_new_draft_from_a_version_and_saving_it(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = workflow_import(document=four_step(), actor=None, publish=True)
    draft = draft_from_version(version=version, actor=None)
    assert draft.number == 2 and draft.checksum == version.checksum
    changed = four_step()
    changed["blocks"][2]["config"]["args"]["group"] = "Contractors"
    saved = draft_save(workflow=version.workflow, document=changed, actor=None)
    assert saved.pk == draft.pk and saved.checksum != version.checksum
    assert version_publish(version=saved, actor=None).state == "published"
