"""The admin index as a dashboard, against known data: runs today by state, parked executions,
approvals past their deadline, the next scheduled fires, connector health, the hourly chart."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from connectors.models import Connector
from tests.approvals.support import waiting_run
from tests.support.documents import four_step
from tests.support.factories import admin_user, journal_connector, published
from tests.triggers.conftest import market_close
from workflows.console.dashboard import dashboard_figures
from workflows.models import Execution, Run

pytestmark = pytest.mark.django_db(transaction=True)


def known_runs(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    workflow = published(four_step()).workflow
    now = timezone.now()
    states = ["succeeded", "succeeded", "failed", "running"]
    for state in states:
        run = Run.objects.create(
            workflow=workflow,
            version=workflow.published_version,
            trigger_kind="manual",
            state=state,
        )
        Execution.objects.create(run=run, state="parked" if state == "failed" else "succeeded")
    old = Run.objects.create(
        workflow=workflow,
        version=workflow.published_version,
        trigger_kind="manual",
        state="succeeded",
    )
    Run.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2, hours=1))


def test_the_figures_count_the_known_data(tmp_path: Path) -> None:
    known_runs(tmp_path)
    published(market_close())
    user = admin_user()
    board = dashboard_figures(user)
    if timezone.localtime().hour >= 1:  # the 2-days-old run is never "today"
        assert board.runs_today == {
            "running": 1,
            "waiting": 0,
            "succeeded": 2,
            "failed": 1,
            "cancelled": 0,
        }
    assert board.parked == 1
    assert board.approvals_overdue == 0
    assert [f.workflow for f in board.next_fires] == ["market-close"] * 5
    assert [c.name for c in board.connectors] == ["journal"]
    assert sum(sum(c.values()) for c in board.hourly.values()) == 5  # within the last 3 days


def test_approvals_past_their_deadline_are_counted() -> None:
    get_user_model().objects.create_user("raj", "raj@acme.example")
    _run, task = waiting_run()
    board = dashboard_figures(admin_user())
    assert board.approvals_overdue == 0
    type(task).objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    assert dashboard_figures(get_user_model().objects.get(username="admin")).approvals_overdue == 1


def test_the_index_page_shows_the_dashboard_and_its_chart(tmp_path: Path) -> None:
    known_runs(tmp_path)
    Connector.objects.filter(name="journal").update(health_status="failing")
    client = Client()
    client.force_login(admin_user())
    page = client.get("/admin/").content.decode()
    assert 'id="dashboard"' in page
    assert re.search(
        r'id="tile-parked">\s*<h2>Awaiting review</h2>\s*<p class="figure">1</p>', page
    )
    assert 'class="health-failing" data-connector="journal"' in page
    assert '<svg class="runs-chart"' in page
    assert len(re.findall(r'<rect class="bar state-', page)) >= 3
    assert "/static/workflows/console/console.css" in page
    assert 'id="content-main"' in page  # the app list is still there


def test_a_person_sees_only_the_figures_of_workflows_they_may_view(tmp_path: Path) -> None:
    known_runs(tmp_path)
    nobody = get_user_model().objects.create_user("nobody", password="pw-Nobody-123", is_staff=True)
    board = dashboard_figures(nobody)
    assert board.runs_today_total == 0 and board.parked == 0 and board.connectors == []
    assert board.approvals_overdue is None
