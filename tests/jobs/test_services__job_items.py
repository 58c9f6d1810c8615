"""Background jobs, piece by piece: an item runs once, a refusal or a bug fails only its item with
the reason, a refusal leaves nothing half-written, a lost message is re-sent, and only the person
who started a job (or a superuser) sees its progress page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django_q.models import OrmQ

from audit.models import AuditEvent
from connectors.jobs import TEST_CONNECTION
from connectors.models import Connector, HealthStatus
from idconfluence.jobs.models import AdminJob, AdminJobItem
from idconfluence.jobs.registry import ItemRefused, JobKind, register
from idconfluence.jobs.services import (
    job_item_run,
    job_progress,
    job_start,
    stale_after_seconds,
    sweep_stalled_items,
)
from tests.support.factories import admin_user
from tests.support.jobs import run_open_items

pytestmark = pytest.mark.django_db(transaction=True)
WRITE_THEN_REFUSE, CRASH = "tests.write_then_refuse", "tests.crash"


def _write_then_refuse(object_id: str, actor: Any) -> str:
    Connector.objects.create(name=f"half-{object_id}", type="local")
    if object_id == "refuse":
        raise ItemRefused("refused after writing: nothing of it may stay")
    return "written"


def _crash(object_id: str, actor: Any) -> str:
    raise RuntimeError("a bug in a handler")


register(JobKind(WRITE_THEN_REFUSE, "Write", _write_then_refuse, "connectors.add_connector"))
register(JobKind(CRASH, "Crash", _crash, "connectors.add_connector"))


def local(name: str) -> Connector:
    return Connector.objects.create(name=name, type="local")


def test_a_job_is_audited_its_items_sent_after_commit_and_each_runs_once() -> None:
    user = admin_user()
    connectors = [local("a"), local("b")]
    job = job_start(kind=TEST_CONNECTION, objects=[(c.pk, c.name) for c in connectors], actor=user)

    assert OrmQ.objects.count() == 2  # one django-q2 message per item
    event = AuditEvent.objects.get(action="job.started")
    assert (event.actor_id, event.details["items"]) == (user.pk, 2)
    assert job_progress(job).remaining == 2

    assert run_open_items() == ["done", "done"]
    assert [job_item_run(item_id=i.pk) for i in job.items.all()] == ["skipped", "skipped"]
    assert AuditEvent.objects.filter(action="connector.health_checked").count() == 2
    job.refresh_from_db()
    assert job.finished_at is not None
    assert (job_progress(job).done, job_progress(job).failed) == (2, 0)
    assert set(Connector.objects.values_list("health_status", flat=True)) == {HealthStatus.OK}


def test_a_refusal_rolls_back_what_its_handler_wrote_and_the_rest_goes_on() -> None:
    job = job_start(
        kind=WRITE_THEN_REFUSE,
        objects=[("refuse", "first"), ("fine", "second")],
        actor=admin_user(),
    )
    assert run_open_items() == ["failed", "done"]
    assert list(Connector.objects.values_list("name", flat=True)) == ["half-fine"]
    messages = dict(job.items.values_list("label", "message"))
    assert messages == {
        "first": "refused after writing: nothing of it may stay",
        "second": "written",
    }


def test_a_bug_in_a_handler_fails_its_item_with_a_message_not_the_worker() -> None:
    job = job_start(kind=CRASH, objects=[("x", "x")], actor=admin_user())
    assert run_open_items() == ["failed"]
    item = job.items.get()
    assert item.message == "internal error (RuntimeError); see the worker log"


def test_a_permission_revoked_after_the_click_refuses_the_item() -> None:
    user = get_user_model().objects.create_user("ops", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_connector"))
    connector = local("a")
    job = job_start(kind=TEST_CONNECTION, objects=[(connector.pk, "a")], actor=user)
    user.user_permissions.clear()

    assert run_open_items() == ["failed"]
    assert job.items.get().message == (
        "refused: the person who started this job may not Test connection"
    )
    connector.refresh_from_db()
    assert connector.health_checked_at is None


def test_an_object_deleted_since_the_click_is_reported_not_raised() -> None:
    connector = local("gone")
    job = job_start(kind=TEST_CONNECTION, objects=[(connector.pk, "gone")], actor=admin_user())
    connector.delete()
    assert run_open_items() == ["failed"]
    assert job.items.get().message == "the connector was deleted"


def test_the_watchdog_resends_items_whose_message_was_lost_or_whose_worker_died() -> None:
    connectors = [local(name) for name in ("lost", "dead", "fresh")]
    job_start(
        kind=TEST_CONNECTION, objects=[(c.pk, c.name) for c in connectors], actor=admin_user()
    )
    OrmQ.objects.all().delete()  # the broker lost every message
    old = timezone.now() - timedelta(seconds=stale_after_seconds() + 1)
    AdminJobItem.objects.filter(label="lost").update(sent_at=old)
    AdminJobItem.objects.filter(label="dead").update(state="running", started_at=old, sent_at=old)

    assert sweep_stalled_items() == 2
    assert OrmQ.objects.count() == 2
    assert sweep_stalled_items() == 0  # re-sent just now: not again every round
    dead = AdminJobItem.objects.get(label="dead")
    assert job_item_run(item_id=dead.pk) == "done"  # a stale claim is taken over
    assert AdminJobItem.objects.get(label="dead").attempts == 1


def test_only_the_starter_or_a_superuser_sees_a_jobs_progress_page() -> None:
    owner = get_user_model().objects.create_user("owner", password="pw-Owner-123", is_staff=True)
    other = get_user_model().objects.create_user("other", password="pw-Other-123", is_staff=True)
    owner.user_permissions.add(Permission.objects.get(codename="change_connector"))
    job = job_start(kind=TEST_CONNECTION, objects=[(local("a").pk, "a")], actor=owner)
    url = f"/admin/jobs/adminjob/{job.pk}/change/"

    def get(user: Any) -> Any:
        client = Client()
        client.force_login(user)
        return client.get(url)

    running = get(owner).content.decode()
    assert "0 done, 0 failed, 1 remaining" in running
    assert '<meta http-equiv="refresh" content="2">' in running
    assert get(other).status_code == 302  # "no such job": not another person's
    assert AdminJob.objects.count() == 1
    run_open_items()
    finished = get(admin_user()).content.decode()
    assert "1 done, 0 failed, 0 remaining" in finished
    assert "http-equiv" not in finished
