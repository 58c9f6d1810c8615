"""Two real qcluster processes (two django-q2 clusters, one PostgreSQL) sweeping the same due
schedules at the same time: each due instant starts exactly one run, and the runs complete."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule
from django_q.tasks import async_task

from tests.support.cluster import Process, child_env, wait_until
from tests.support.factories import published
from tests.triggers.conftest import market_close
from workflows.models import Run
from workflows.models_triggers import ScheduleFire, TriggerSchedule

pytestmark = [pytest.mark.postgres, pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
SCHEDULES = 6
SWEEPS_PER_CLUSTER = 4  # two workers each: sweeps overlap within and across clusters


def test_two_clusters_fire_each_due_schedule_exactly_once(tmp_path: Path) -> None:
    for n in range(SCHEDULES):
        published(market_close(f"market-close-{n}"))
    TriggerSchedule.objects.update(next_fire_at=timezone.now() - timedelta(seconds=30))
    Schedule.objects.all().delete()  # only the sweeps sent below may fire them
    names = ("idc-triggers-a", "idc-triggers-b")
    clusters = [
        Process(["qcluster"], tmp_path / f"{name}.log", child_env(IDC_Q_NAME=name))
        for name in names
    ]
    try:
        for cluster in clusters:
            cluster.wait_for_output("ready for work")
        for name in names:
            # Each cluster only reads packages signed under its own name.
            with mock.patch.object(Conf, "PREFIX", name):
                broker = get_broker(list_key=name)
                for _ in range(SWEEPS_PER_CLUSTER):
                    async_task("workflows.tasks.fire_due_schedules", broker=broker)
        wait_until(
            lambda: Run.objects.filter(state="succeeded").count() >= SCHEDULES
            and not OrmQ.objects.filter(key__in=names).exists(),  # its two queues drained
            30,
            "the sweeps and the runs they started",
        )
    finally:
        for cluster in clusters:
            cluster.stop()
    assert ScheduleFire.objects.count() == SCHEDULES
    assert Run.objects.count() == SCHEDULES
    assert all("Processed 'workflows.tasks.fire_due_schedules'" in c.output() for c in clusters)
    assert not TriggerSchedule.objects.filter(next_fire_at__lte=timezone.now()).exists()
