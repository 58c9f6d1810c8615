"""Permission grants and revocations (model, group membership, object) are recorded in the
transaction that makes them, naming the person when one made them through the site."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.test import Client
from guardian.shortcuts import assign_perm, remove_perm

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def recorded() -> list[tuple[str, str, dict]]:
    return [
        (e.action, e.target_label, e.details)
        for e in AuditEvent.objects.filter(action__contains=".").order_by("seq")
        if not e.action.startswith(("admin.", "auth."))
    ]


@pytest.fixture
def view_events() -> Permission:
    return Permission.objects.get(codename="view_auditevent")


def test_user_permissions_add_remove_clear(user, view_events) -> None:
    change_group = Permission.objects.get(codename="change_group")
    user.user_permissions.add(view_events, change_group)
    user.user_permissions.remove(change_group)
    user.user_permissions.clear()

    assert recorded() == [
        (
            "permission.granted",
            "alice",
            {"permissions": ["audit.view_auditevent", "auth.change_group"]},
        ),
        ("permission.revoked", "alice", {"permissions": ["auth.change_group"]}),
        ("permission.revoked", "alice", {"permissions": ["audit.view_auditevent"]}),
    ]


def test_group_membership_and_group_permissions_both_directions(user) -> None:
    group = Group.objects.create(name="Readers")
    change_group = Permission.objects.get(codename="change_group")
    user.groups.add(group)
    group.user_set.remove(user)
    group.permissions.add(change_group)
    change_group.group_set.clear()

    assert recorded() == [
        ("group.member_added", "alice", {"groups": ["Readers"]}),
        ("group.member_removed", "alice", {"groups": ["Readers"]}),
        ("permission.granted", "Readers", {"permissions": ["auth.change_group"]}),
        ("permission.revoked", "Readers", {"permissions": ["auth.change_group"]}),
    ]


def test_rolled_back_grant_leaves_no_event(user, view_events) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        user.user_permissions.add(view_events)
        raise RuntimeError("the change failed")

    assert recorded() == []


def test_grant_through_the_admin_names_the_admin_and_address(superuser, view_events) -> None:
    group = Group.objects.create(name="Readers")
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.force_login(superuser)
    client.post(
        f"/admin/auth/group/{group.pk}/change/",
        {"name": "Readers", "permissions": [view_events.pk]},
    )

    grant = AuditEvent.objects.get(action="permission.granted")
    assert (grant.actor_id, grant.actor_kind, grant.ip_address) == (
        superuser.pk,
        "user",
        "198.51.100.4",
    )


def test_object_permissions_assign_remove_and_bulk(user) -> None:
    target, other = Group.objects.create(name="Target"), Group.objects.create(name="Other")
    readers = Group.objects.create(name="Readers")
    assign_perm("auth.change_group", user, target)
    assign_perm("auth.change_group", readers, target)
    remove_perm("auth.change_group", user, target)
    assign_perm("auth.delete_group", user, Group.objects.filter(pk__in=[target.pk, other.pk]))

    change, delete = "auth.change_group", "auth.delete_group"
    assert recorded() == [
        ("object_permission.granted", "Target", {"permission": change, "user": "alice"}),
        ("object_permission.granted", "Target", {"permission": change, "group": "Readers"}),
        ("object_permission.revoked", "Target", {"permission": change, "user": "alice"}),
        ("object_permission.granted", "Target", {"permission": delete, "user": "alice"}),
        ("object_permission.granted", "Other", {"permission": delete, "user": "alice"}),
    ]
    assert set(AuditEvent.objects.values_list("target_type", flat=True)) == {"auth.group"}


def test_rolled_back_object_grant_leaves_no_event(user) -> None:
    target = Group.objects.create(name="Target")
    with pytest.raises(RuntimeError), transaction.atomic():
        assign_perm("auth.change_group", user, target)
        raise RuntimeError("the change failed")

    assert recorded() == []
