"""The side panel's sources: the palette from the block registry (a new type appears by itself),
a block's handles from its config, usable connectors, CEL checks with positions, samples."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from rest_framework.test import APIClient

from connectors.models import Connector
from tests.support.factories import perform
from workflows.engine.blocks import registry
from workflows.engine.blocks.base import BlockType
from workflows.models import Workflow
from workflows.services.runs import run_start

from .conftest import API, client_for, hire_sample, person

pytestmark = pytest.mark.django_db


class Stamp(BlockType):
    kind = "logic"
    name = "stamp"
    label = "Stamp a value"
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
    }


@pytest.fixture
def stamp_registered() -> Iterator[None]:
    registry.register(Stamp())
    yield
    registry._REGISTRY.pop(("logic", "stamp"))


def test_the_palette_lists_every_registered_type_grouped_by_kind(
    api: APIClient, stamp_registered: None
) -> None:
    groups = api.get(f"{API}block-types/").json()
    assert [g["label"] for g in groups] == [
        "Trigger",
        "Action",
        "Logic",
        "Integration",
        "Human input",
    ]
    listed = {(t["kind"], t["type"]) for g in groups for t in g["types"]}
    assert listed == set(registry.all_types())
    logic = {t["type"]: t for t in groups[2]["types"]}
    assert logic["stamp"]["schema"]["required"] == ["text"]  # a new type, no front-end change
    assert logic["condition"]["required_outcomes"] == ["true", "false"]
    assert logic["condition"]["expression_fields"] == ["expression"]
    action = {t["type"]: t for t in groups[1]["types"]}["add_group_member"]
    assert action["connector"] == {
        "field": "connector",
        "operation": "add_group_member",
        "operation_field": "",
    }
    assert action["outcomes"] == ["next", "error"]
    call = groups[3]["types"][0]
    assert call["connector"]["operation_field"] == "operation"


def test_a_blocks_handles_follow_its_config(api: APIClient) -> None:
    switch = api.post(
        f"{API}block-types/outcomes/",
        {"kind": "logic", "type": "switch", "config": {"cases": ["A", "B"]}},
    )
    assert switch.json()["outcomes"] == ["A", "B", "default"]
    approval = api.post(
        f"{API}block-types/outcomes/",
        {
            "kind": "human_input",
            "type": "approval",
            "config": {"outcomes": [{"key": "yes", "label": "Yes"}]},
        },
    )
    assert approval.json()["required_outcomes"] == ["yes", "timeout"]
    half_typed = api.post(
        f"{API}block-types/outcomes/", {"kind": "logic", "type": "switch", "config": {"cases": 7}}
    )
    assert half_typed.status_code == 200
    unknown = api.post(f"{API}block-types/outcomes/", {"kind": "logic", "type": "nope"})
    assert unknown.status_code == 400 and "unknown block type" in unknown.json()["detail"]


def test_only_connectors_the_user_may_use_that_support_the_operation(joiner: Workflow) -> None:
    mail = Connector.objects.create(name="mail", type="email", config={})
    user = person("una", "workflows.view_workflow", workflow=joiner)
    client = client_for(user)
    assert client.get(f"{API}connectors/").json() == []
    from guardian.shortcuts import assign_perm

    assign_perm("connectors.use_connector", user, mail)
    assign_perm("connectors.use_connector", user, Connector.objects.get(name="local-directory"))
    names = [c["name"] for c in client.get(f"{API}connectors/").json()]
    assert names == ["local-directory", "mail"]
    grouped = client.get(f"{API}connectors/", {"operation": "add_group_member"}).json()
    assert [c["name"] for c in grouped] == ["local-directory"]
    assert [c["name"] for c in client.get(f"{API}connectors/", {"type": "email"}).json()] == [
        "mail"
    ]
    assert "secrets" not in str(grouped) and "config" not in grouped[0]


@pytest.mark.parametrize(
    ("source", "mode", "position"),
    [
        ("person.risk >", "expression", 14),
        ("=event.worker.", "value", 15),
        ("Hello {{ event.worker. }}!", "value", 23),
    ],
)
def test_a_bad_expression_is_reported_at_its_position(
    api: APIClient, source: str, mode: str, position: int
) -> None:
    body = api.post(f"{API}expressions/check/", {"source": source, "mode": mode}).json()
    assert body["ok"] is False
    assert body["position"] == position, body


def test_a_good_expression_previews_on_a_sample(api: APIClient) -> None:
    check = f"{API}expressions/check/"
    body = api.post(
        check, {"source": "event.worker.riskScore > 30", "sample": hire_sample()}
    ).json()
    assert (body["ok"], body["preview"]) == (True, True)
    value = api.post(
        check,
        {"source": "Welcome {{ event.worker.userName }}", "mode": "value", "sample": hire_sample()},
    )
    assert value.json()["preview"] == "Welcome jane.doe"
    missing = api.post(check, {"source": "person.user", "sample": hire_sample()}).json()
    assert missing["ok"] is True and missing["preview_error"]  # compiles; needs an earlier block
    for bad in (
        {},
        {"source": ""},
        {"source": "x" * 6000},
        {"source": "1", "mode": "eval"},
        {"source": 5},
    ):
        assert api.post(check, bad).status_code in (200, 400)
    too_long = api.post(check, {"source": "1+" * 600 + "1"}).json()
    assert too_long["ok"] is False and "limit" in too_long["error"]


def test_samples_and_recent_run_inputs_of_visible_workflows(
    api: APIClient, joiner: Workflow
) -> None:
    perform(run_start(workflow=joiner, input={"worker": {"userName": "sam.past"}}))
    samples = api.get(f"{API}samples/", {"workflow": joiner.pk}).json()
    ids = [s["id"] for s in samples]
    assert ids[:3] == [
        "sample:sap-role-change",
        "sample:workday-hire",
        "sample:workday-termination",
    ]
    assert samples[-1]["payload"] == {"worker": {"userName": "sam.past"}}
    stranger = client_for(person("stranger2"))
    theirs = stranger.get(f"{API}samples/", {"workflow": joiner.pk}).json()
    assert len(theirs) == 3  # not another workflow's inputs
    assert api.get(f"{API}samples/", {"workflow": "x"}).status_code == 400


def test_the_api_needs_a_signed_in_user(client: Any) -> None:
    assert client.get(f"{API}block-types/").status_code == 401  # not signed in (no token either)
