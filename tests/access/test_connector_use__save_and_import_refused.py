"""Connector `use`: a person may save or import a block only if they may use the connector it
references; the refusal names each block, and nothing is written. The same rule holds in the
service (API, builder, commands), the console's block inlines and the import command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from connectors.access import CONNECTORS
from tests.access.conftest import World, joiner, person, signed_in
from tests.access.support import inline_post
from tests.support.documents import block
from workflows.access import WORKFLOWS
from workflows.models import Workflow
from workflows.policy import ConnectorNotUsable
from workflows.services.versions import draft_save, workflow_import

pytestmark = pytest.mark.django_db


def test_import_is_refused_block_by_block_and_writes_nothing(world: World) -> None:
    compliance = world.people["compliance"]
    document = joiner("new-joiner", "their-directory")
    document["blocks"].append(
        block(
            "add_vpn",
            "action",
            "add_group_member",
            connector="my-directory",
            args={"user": "=event.user", "group": "VPN"},
        )
    )
    document["blocks"].append(
        block(
            "add_wiki",
            "action",
            "add_group_member",
            connector="their-directory",
            args={"user": "=event.user", "group": "Wiki"},
        )
    )
    with pytest.raises(ConnectorNotUsable) as refused:
        workflow_import(document=document, actor=compliance)
    assert refused.value.errors == [
        "block 'add_staff': you may not use connector 'their-directory'",
        "block 'add_wiki': you may not use connector 'their-directory'",
    ]
    assert not Workflow.objects.filter(slug="new-joiner").exists()

    CONNECTORS.grant(compliance, world.their_connector, ["use"])
    assert workflow_import(document=document, actor=compliance).number == 1


def test_saving_a_draft_that_references_an_unusable_connector_is_refused(world: World) -> None:
    compliance = world.people["compliance"]
    before = world.my_draft.checksum
    with pytest.raises(ConnectorNotUsable, match="block 'add_staff'"):
        draft_save(
            workflow=world.mine,
            document=joiner("my-joiner", "their-directory"),
            actor=compliance,
        )
    world.my_draft.refresh_from_db()
    assert world.my_draft.checksum == before
    assert world.my_draft.blocks.get(key="add_staff").config["connector"] == "my-directory"


def test_a_colleague_given_the_workflow_but_not_the_connector_cannot_save(world: World) -> None:
    colleague = person("colleague", "Compliance managers")
    WORKFLOWS.grant(colleague, world.mine, ["view", "change"])
    with pytest.raises(ConnectorNotUsable):
        draft_save(
            workflow=world.mine, document=joiner("my-joiner", "my-directory"), actor=colleague
        )
    CONNECTORS.grant(colleague, world.my_connector, ["use"])
    draft = draft_save(
        workflow=world.mine, document=joiner("my-joiner", "my-directory"), actor=colleague
    )
    assert draft.changed_by == colleague


def test_the_console_block_inline_shows_the_error_on_the_config(world: World) -> None:
    compliance = world.people["compliance"]
    draft = world.my_draft
    data = inline_post(draft, group="Staff")
    index = next(
        k.split("-")[1] for k, v in data.items() if k.endswith("-key") and v == "add_staff"
    )
    config = json.loads(data[f"blocks-{index}-config"])
    data[f"blocks-{index}-config"] = json.dumps({**config, "connector": "their-directory"})
    page = signed_in(compliance).post(f"/admin/workflows/workflowversion/{draft.pk}/change/", data)
    assert page.status_code == 200  # the form again, with the error beside the field
    assert "you may not use connector &#x27;their-directory&#x27;" in page.content.decode()
    assert draft.blocks.get(key="add_staff").config["connector"] == "my-directory"


def test_the_import_command_with_user_is_refused(world: World, tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(joiner("cmd-joiner", "their-directory")))
    with pytest.raises(CommandError, match="block 'add_staff': you may not use connector"):
        call_command("import_workflow", str(path), "--user", "compliance")
    assert not Workflow.objects.filter(slug="cmd-joiner").exists()
