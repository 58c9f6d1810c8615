"""With the clock moved (time-machine), the sweep sends the reminder before the deadline, escalates
when it passes (a new task with its own deadline), then takes the `timeout` edge: each once,
even with the sweep run twice (and, on PostgreSQL, concurrently)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test import Client

from approvals.models import ApprovalTask
from approvals.services.sweep import approvals_sweep
from audit.models import AuditEvent
from tests.approvals.support import sent_links, waiting_run
from tests.support.factories import perform

NY = ZoneInfo("America/New_York")
SLA = {
    "deadline": {"amount": 1, "unit": "business_days"},
    "calendar": {"zone": "America/New_York", "holidays": "US"},
    "reminders": [{"amount": 2, "unit": "business_hours"}],
    "escalation": ["user:ana"],
}


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def count(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


def twice(now: dt.datetime, concurrently: bool) -> None:
    with time_machine.travel(now, tick=False):
        if not concurrently:
            for _ in range(2):
                with ON_COMMIT[0](execute=True):
                    approvals_sweep()
            return
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def sweep() -> None:
            try:
                barrier.wait()
                approvals_sweep()
            except BaseException as exc:
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors


def _no_capture(execute: bool = True) -> Any:
    return nullcontext()  # a transactional test runs commit hooks itself


ON_COMMIT: list[Callable[..., Any]] = [_no_capture]


def scenario(concurrently: bool) -> None:
    user_model = get_user_model()
    user_model.objects.create_user("raj", "raj@acme.example")
    user_model.objects.create_user("ana", "ana@acme.example")
    with time_machine.travel(at(2026, 3, 6, 10), tick=False):  # Friday 10:00 EST
        run, task = waiting_run(**SLA)
        with ON_COMMIT[0](execute=True):
            approvals_sweep()  # the request email (left to the sweep: no worker here)
    assert task.due_text == "Mon 09 Mar 2026, 10:00 EDT (America/New_York)"
    assert task.due_at == at(2026, 3, 9, 10)
    assert [m.to for m in mail.outbox] == [["raj@acme.example"]]
    [raj_link] = sent_links()

    twice(at(2026, 3, 6, 15, 59), concurrently)  # 2 business hours before Monday 10:00 is 16:00
    assert len(mail.outbox) == 1 and count("approval.reminded") == 0
    twice(at(2026, 3, 6, 16, 1), concurrently)
    assert count("approval.reminded") == 1
    assert [m.subject.startswith("Reminder") for m in mail.outbox] == [False, True]

    twice(at(2026, 3, 9, 10, 1), concurrently)  # Monday 10:01 EDT: the deadline passed
    assert count("approval.escalated") == 1
    task.refresh_from_db()
    assert task.state == "escalated"
    up = ApprovalTask.objects.get(run=run, state="open")
    assert (up.assignee_email, up.escalation_level, up.escalated_from_id) == (
        "ana@acme.example",
        1,
        task.pk,
    )
    assert up.due_at == at(2026, 3, 10, 10, 1)
    assert mail.outbox[-1].to == ["ana@acme.example"] and len(mail.outbox) == 3
    page = Client().get(f"/a/{raj_link}").content.decode()
    assert "escalated to someone else" in page and "decide-approved" not in page

    twice(at(2026, 3, 10, 10, 2), concurrently)
    assert count("approval.expired") == 1 and count("run.resumed") == 1
    up.refresh_from_db()
    run.refresh_from_db()
    assert up.state == "expired" and run.state == "running"
    assert len(mail.outbox) == 3  # no reminder after the deadline, nothing sent twice
    assert perform(run).state == "succeeded"
    run.refresh_from_db()
    assert run.context["late"] == {"flagged_for_review": True}
    assert run.context["ask"]["outcome"] == "timeout"


@pytest.mark.django_db
def test_reminder_escalation_and_timeout_each_happen_once_with_the_sweep_run_twice(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    ON_COMMIT[0] = django_capture_on_commit_callbacks
    try:
        scenario(concurrently=False)
    finally:
        ON_COMMIT[0] = _no_capture


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reminder_escalation_and_timeout_each_happen_once_with_two_sweeps_at_once() -> None:
    scenario(concurrently=True)
