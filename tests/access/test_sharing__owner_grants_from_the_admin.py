"""Owners share a workflow or connector with users or groups from its *Object permissions* page:
only someone who may change the object can share it, only the actions they hold themselves are
offered, and every grant is an audit event."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from connectors.access import CONNECTORS
from connectors.models import Connector
from connectors.services import connector_create
from tests.access.conftest import World, person, signed_in
from workflows.access import WORKFLOWS

pytestmark = pytest.mark.django_db


def manage_user(kind: str, obj_pk: int, user_pk: int) -> str:
    return f"/admin/{kind}/{obj_pk}/permissions/user-manage/{user_pk}/"


def test_the_owner_shares_a_workflow_with_a_colleague_and_it_is_audited(world: World) -> None:
    owner, colleague = world.people["compliance"], person("colleague")
    url = manage_user("workflows/workflow", world.mine.pk, colleague.pk)
    page = signed_in(owner).get(url)
    offered = {code for code, _ in page.context["form"].fields["permissions"].choices}
    assert offered == {"view_workflow", "change_workflow", "publish_workflow", "run_workflow"}

    assert (
        signed_in(colleague).get(f"/admin/workflows/workflow/{world.mine.pk}/change/").status_code
        == 404
    )
    answer = signed_in(owner).post(url, {"permissions": ["view_workflow", "run_workflow"]})
    assert answer.status_code == 302
    assert WORKFLOWS.can(colleague, "run", world.mine)
    assert not WORKFLOWS.can(colleague, "change", world.mine)
    assert (
        signed_in(colleague).get(f"/admin/workflows/workflow/{world.mine.pk}/change/").status_code
        == 200
    )
    granted = AuditEvent.objects.filter(action="object_permission.granted", actor=owner)
    assert granted.count() >= 2


def test_a_sharer_cannot_grant_more_than_they_hold(world: World) -> None:
    runner, other = person("runner"), person("other")
    WORKFLOWS.grant(runner, world.mine, ["view", "change"])
    url = manage_user("workflows/workflow", world.mine.pk, other.pk)
    page = signed_in(runner).get(url)
    offered = {code for code, _ in page.context["form"].fields["permissions"].choices}
    assert offered == {"view_workflow", "change_workflow"}
    signed_in(runner).post(url, {"permissions": ["publish_workflow", "view_workflow"]})
    assert not WORKFLOWS.can(other, "publish", world.mine)


def test_someone_who_may_only_view_cannot_share(world: World) -> None:
    operator = world.people["operator"]  # views every workflow, changes none
    url = manage_user("workflows/workflow", world.mine.pk, operator.pk)
    assert signed_in(operator).post(url, {"permissions": ["change_workflow"]}).status_code == 403
    assert not WORKFLOWS.can(operator, "change", world.mine)


def test_a_connector_is_shared_with_a_group_for_use(world: World) -> None:
    owner = world.people["compliance"]
    editors = Group.objects.create(name="Joiner editors")
    member = person("member")
    member.groups.add(editors)
    page = f"/admin/connectors/connector/{world.my_connector.pk}/permissions"
    url = f"{page}/group-manage/{editors.pk}/"
    assert signed_in(owner).post(url, {"permissions": ["use_connector"]}).status_code == 302
    assert CONNECTORS.can(member, "use", world.my_connector)
    assert not CONNECTORS.can(member, "change", world.my_connector)


def test_the_creator_of_a_connector_in_the_admin_gets_its_permissions(world: World) -> None:
    owner = world.people["compliance"]
    answer = signed_in(owner).post(
        "/admin/connectors/connector/add/?type=local",
        {"name": "made-here", "type": "local", "description": "", "enabled": "on", "config": "{}"},
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    made = Connector.objects.get(name="made-here")
    assert all(CONNECTORS.can(owner, action, made) for action in ("view", "use", "change"))
    assert not CONNECTORS.can(owner, "change", world.their_connector)


def test_the_service_that_creates_a_connector_gives_its_creator_the_permissions(
    world: World,
) -> None:
    with pytest.raises(PermissionDenied, match="You may not add connectors"):
        connector_create(name="ops-made", type="local", actor=world.people["operator"])
    owner = world.people["compliance"]
    made = connector_create(name="svc-made", type="local", actor=owner, secrets={"t": "s3cr3t"})
    assert all(CONNECTORS.can(owner, action, made) for action in ("view", "use", "change"))
    event = AuditEvent.objects.get(action="connector.created")
    assert "s3cr3t" not in str(event.details)


def test_the_sharing_link_is_shown_only_to_who_may_share(world: World) -> None:
    for kind, obj in (
        ("workflows/workflow", world.mine),
        ("connectors/connector", world.my_connector),
    ):
        page = f"/admin/{kind}/{obj.pk}/change/"
        assert b"permissionslink" in signed_in(world.people["compliance"]).get(page).content
        assert b"permissionslink" not in signed_in(world.people["operator"]).get(page).content
