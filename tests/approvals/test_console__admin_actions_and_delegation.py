"""The console: operators see every open task overdue first and re-assign, cancel or resend (each
audited); an approver signed in sees only "My tasks". Delegation moves tasks already open as
well as new ones, records "on behalf of", stops at a depth limit and never loops."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.test import Client
from django.utils import timezone

from approvals.models import ApprovalTask, Delegation
from approvals.services.console import ConsoleRefused, delegation_set
from approvals.services.deciding import task_decide
from approvals.services.sweep import approvals_sweep
from audit.models import AuditEvent
from tests.approvals.support import GRANT, sent_links, waiting_run
from tests.support.factories import admin_user

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHANGELIST = "/admin/approvals/approvaltask/"


def person(name: str, **extra):
    return get_user_model().objects.create_user(name, f"{name}@acme.example", "pw-x-12345", **extra)


@pytest.fixture
def people():
    return {name: person(name) for name in ("raj", "ana", "bo", "cy", "di")}


def today() -> dt.date:
    return timezone.localdate()


def act(client: Client, action: str, tasks: list[ApprovalTask], **extra: str):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [t.pk for t in tasks], **extra},
        follow=True,
    )


def test_operators_see_open_tasks_overdue_first_and_reassign_cancel_resend(
    people, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _, late = waiting_run(deadline={"amount": 1, "unit": "hours"})
        run, soon = waiting_run({**GRANT, "user": "kim@acme.example"})
    ApprovalTask.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))
    operator = admin_user()
    client = Client()
    client.force_login(operator)
    page = client.get(CHANGELIST).content.decode()
    assert page.index(f"/{late.pk}/change/") < page.index(f"/{soon.pk}/change/")

    old_link = sent_links()[-1]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(client, "reassign", [soon], assignee="user:ana")
    soon.refresh_from_db()
    assert (soon.assignee_email, soon.assignee_user) == ("ana@acme.example", people["ana"])
    assert [m.to for m in mail.outbox] == [["ana@acme.example"]]
    assert "withdrawn" in Client().get(f"/a/{old_link}").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        act(client, "resend", [soon])
    assert [m.to for m in mail.outbox] == [["ana@acme.example"]] * 2

    act(client, "cancel", [soon])
    soon.refresh_from_db()
    run.refresh_from_db()
    assert soon.state == "cancelled" and run.state == "cancelled"
    for action in ("approval.reassigned", "approval.resent", "approval.cancelled"):
        event = AuditEvent.objects.get(action=action)
        assert event.actor == operator and event.run_id == run.pk


def test_an_approver_signed_in_sees_only_my_tasks(people) -> None:
    _, mine = waiting_run()
    _, theirs = waiting_run({**GRANT, "manager": "ana@acme.example"})
    raj = people["raj"]
    raj.is_staff = True
    raj.save()
    client = Client()
    client.force_login(raj)
    page = client.get(CHANGELIST).content.decode()
    assert f"/{mine.pk}/change/" in page and f"/{theirs.pk}/change/" not in page
    assert client.post(
        CHANGELIST, {"action": "cancel", "_selected_action": [mine.pk]}
    ).status_code in (200, 302)
    mine.refresh_from_db()
    assert mine.state == "open"  # an approver has no operator actions


def test_delegation_moves_open_tasks_and_the_decision_is_on_behalf_of_the_assignee(
    people, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _, task = waiting_run()
    assert task.assignee_user == people["raj"]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        delegation_set(
            user=people["raj"],
            delegate=people["ana"],
            starts_on=today(),
            ends_on=today() + dt.timedelta(days=5),
            actor=people["raj"],
        )
    task.refresh_from_db()
    assert (task.assignee_user, task.on_behalf_of) == (people["ana"], "raj@acme.example")
    assert mail.outbox[0].to == ["ana@acme.example"]
    assert "on behalf of raj@acme.example" in mail.outbox[0].body
    [token] = sent_links()
    decided = task_decide(token=token, outcome="approved")
    assert (decided.decided_by_email, decided.decided_on_behalf_of) == (
        "ana@acme.example",
        "raj@acme.example",
    )
    assert AuditEvent.objects.get(action="approval.decided").details["on_behalf_of"] == (
        "raj@acme.example"
    )
    # a new task for raj goes to ana at once
    _, new = waiting_run({**GRANT, "user": "kim@acme.example"})
    assert (new.assignee_user, new.on_behalf_of) == (people["ana"], "raj@acme.example")


def test_a_delegation_that_begins_later_moves_the_task_when_it_begins(people) -> None:
    _, task = waiting_run(deadline={"amount": 10, "unit": "business_days"})
    delegation_set(
        user=people["raj"],
        delegate=people["ana"],
        starts_on=today() + dt.timedelta(days=2),
        ends_on=today() + dt.timedelta(days=3),
        actor=people["raj"],
    )
    task.refresh_from_db()
    assert task.assignee_user == people["raj"]
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        approvals_sweep()
        approvals_sweep()
    task.refresh_from_db()
    assert (task.assignee_user, task.on_behalf_of) == (people["ana"], "raj@acme.example")
    assert AuditEvent.objects.filter(action="approval.reassigned").count() == 1


def test_delegation_chains_stop_at_the_depth_limit_and_never_loop(people) -> None:
    span = {"starts_on": today(), "ends_on": today() + dt.timedelta(days=1)}
    names = ["raj", "ana", "bo", "cy", "di"]
    for user, delegate in itertools.pairwise(names):  # raj > ana > bo > cy > di
        Delegation.objects.create(user=people[user], delegate=people[delegate], **span)
    _, task = waiting_run()
    assert task.assignee_user == people["cy"]  # three hops, not four
    assert task.on_behalf_of == "raj@acme.example"

    Delegation.objects.all().delete()
    Delegation.objects.create(user=people["raj"], delegate=people["ana"], **span)
    Delegation.objects.create(user=people["ana"], delegate=people["raj"], **span)  # a loop
    _, looped = waiting_run({**GRANT, "user": "kim@acme.example"})
    assert looped.assignee_user == people["ana"]
    with pytest.raises(ConsoleRefused):
        delegation_set(user=people["bo"], delegate=people["bo"], actor=people["bo"], **span)


def test_delegating_to_the_subject_keeps_the_task_with_the_assignee(people) -> None:
    span = {"starts_on": today(), "ends_on": today() + dt.timedelta(days=1)}
    Delegation.objects.create(user=people["raj"], delegate=people["ana"], **span)
    _, task = waiting_run({**GRANT, "user": "ana@acme.example"})  # ana asks for access
    assert task.assignee_user == people["raj"] and not task.on_behalf_of
    assert Permission.objects.filter(codename="change_approvaltask").exists()
