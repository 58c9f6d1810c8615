"""Issue 9: JSON typed into the console (Run now's input, a block's config, a connector's config)
goes through the JSON intake rule: each refusal is a field error naming the place and the limit,
what was typed is shown back, and nothing is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from connectors.models import Connector
from tests.support.documents import four_step
from tests.support.factories import admin_user, journal_connector, published
from workflows.models import Block, Run, WorkflowVersion
from workflows.services.runs import NotRunnable, run_start
from workflows.services.versions import draft_from_version

pytestmark = pytest.mark.django_db

DEEP = "[" * 2000 + "]" * 2000
HOSTILE = [
    pytest.param(
        '{"user": NaN}', "$.user: NaN is not a number JSON can store (finite_numbers)", id="nan"
    ),
    pytest.param('{"n": 1e400}', "$.n: ", id="overflowing-float"),
    pytest.param(DEEP, "(max_depth=64)", id="2000-deep"),
    pytest.param('{"user": "a\\u0000b"}', "$.user: ", id="nul"),
    pytest.param('{"user": "\\ud800"}', "$.user: ", id="lone-surrogate"),
    pytest.param('{"id": ' + "9" * 400 + "}", "(max_int_digits=30)", id="400-digits"),
]


@pytest.fixture(autouse=True)
def journal(tmp_path: Path) -> None:
    journal_connector(tmp_path)


@pytest.fixture
def console() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(admin_user())
    return client


def refused(response: Any, message: str) -> str:
    assert response.status_code == 200  # the form again, with its error
    page = response.content.decode()
    assert "errorlist" in page and message in page, page[-3000:]
    return page


@pytest.mark.parametrize(("typed", "message"), HOSTILE)
def test_run_now_refuses_hostile_input_naming_the_place(
    console: Client, typed: str, message: str
) -> None:
    version = published(four_step())
    url = f"/admin/workflows/workflow/{version.workflow.pk}/run/"
    refused(console.post(url, {"input": typed}), message)
    assert not Run.objects.exists()


@pytest.mark.parametrize(("typed", "message"), HOSTILE)
def test_a_block_config_refuses_hostile_json_and_keeps_the_stored_one(
    console: Client, typed: str, message: str
) -> None:
    draft = draft_from_version(version=published(four_step()), actor=None)
    block = draft.blocks.get(key="add_staff")
    before = block.config
    form = {
        "version": draft.pk,
        "key": block.key,
        "kind": block.kind,
        "type": block.type,
        "label": block.label,
        "config": typed,
        "position_x": 0,
        "position_y": 0,
    }
    refused(console.post(f"/admin/workflows/block/{block.pk}/change/", form), message)
    assert Block.objects.get(pk=block.pk).config == before


@pytest.mark.parametrize(("typed", "message"), HOSTILE)
def test_a_connector_config_refuses_hostile_json(console: Client, typed: str, message: str) -> None:
    # The JSON inputs of a type's form (here LDAP's `disable` object) follow the intake rule.
    form = {
        "name": "hr",
        "type": "ldap",
        "description": "",
        "enabled": "on",
        "config__url": "ldap://ldap.acme.example",
        "config__bind_dn": "cn=idc,dc=acme",
        "config__base_dn": "dc=acme",
        "config__disable": typed,
    }
    refused(console.post("/admin/connectors/connector/add/", form), message)
    assert not Connector.objects.filter(name="hr").exists()


def test_run_start_refuses_input_from_a_command_or_a_retrigger_by_the_same_rule() -> None:
    version: WorkflowVersion = published(four_step())
    with pytest.raises(NotRunnable) as refusal:
        run_start(workflow=version.workflow, input={"user": "a\x00b", "n": 10**400})
    assert str(refusal.value).startswith("the input is refused: $.")
    assert not Run.objects.exists()
