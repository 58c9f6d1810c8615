"""Admin edits and sign-ins are recorded by the action itself, in its transaction."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db
BROWSER = {"HTTP_USER_AGENT": "AuditTest/1.0", "REMOTE_ADDR": "203.0.113.7"}


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def test_admin_add_change_and_delete_are_recorded_with_ip(superuser) -> None:
    client = Client(**BROWSER)
    client.force_login(superuser)
    client.post("/admin/auth/group/add/", {"name": "Ops"})
    group = Group.objects.get(name="Ops")
    client.post(f"/admin/auth/group/{group.pk}/change/", {"name": "Ops team"})
    client.post(f"/admin/auth/group/{group.pk}/delete/", {"post": "yes"})

    added, changed, deleted = (
        events("admin.added"),
        events("admin.changed"),
        events("admin.deleted"),
    )
    assert [e.target_label for e in added + changed + deleted] == ["Ops", "Ops team", "Ops team"]
    assert {(e.actor_id, e.target_type, e.target_id) for e in added + changed + deleted} == {
        (superuser.pk, "auth.group", str(group.pk))
    }
    assert changed[0].details["changes"] == [{"changed": {"fields": ["Name"]}}]
    assert changed[0].details["change_message"] == "Changed Name."
    assert (added[0].ip_address, added[0].user_agent) == ("203.0.113.7", "AuditTest/1.0")


def test_admin_bulk_delete_records_every_object(superuser) -> None:
    first, second = Group.objects.create(name="a"), Group.objects.create(name="b")
    client = Client()
    client.force_login(superuser)
    client.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )

    assert not Group.objects.filter(name__in=["a", "b"]).exists()
    assert sorted(e.target_label for e in events("admin.deleted")) == ["a", "b"]


def test_rolled_back_admin_change_leaves_no_event(superuser) -> None:
    group = Group.objects.create(name="g")
    with pytest.raises(RuntimeError), transaction.atomic():
        LogEntry.objects.log_actions(superuser.pk, [group], ADDITION, single_object=True)
        raise RuntimeError("the admin's save failed")

    assert not events("admin.added")


def test_sign_in_failure_and_sign_out_are_recorded_without_the_password(user) -> None:
    user.is_staff = True  # the admin's login form is the site's sign-in page
    user.save()
    client = Client(**BROWSER)
    client.post("/admin/login/", {"username": "alice", "password": "wrong-pw-xyz"})
    client.post("/admin/login/", {"username": "alice", "password": "pw-alice-123!"})
    client.post("/admin/logout/")

    failed, signed_in, signed_out = (
        events("auth.sign_in_failed"), events("auth.signed_in"), events("auth.signed_out")
    )  # fmt: skip
    assert (failed[0].actor_kind, failed[0].actor_label) == ("anonymous", "alice")
    assert (signed_in[0].actor_id, signed_out[0].actor_id) == (user.pk, user.pk)
    for event in failed + signed_in + signed_out:
        assert (event.ip_address, event.user_agent) == ("203.0.113.7", "AuditTest/1.0")
    stored = str(list(AuditEvent.objects.values()))
    assert "wrong-pw-xyz" not in stored and "pw-alice-123!" not in stored


def test_rolled_back_sign_in_leaves_no_event(user) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        assert Client().login(username="alice", password="pw-alice-123!")
        raise RuntimeError("session store failed")

    assert not events("auth.signed_in")
