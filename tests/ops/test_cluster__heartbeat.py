"""The cluster's heartbeat comes from a real qcluster through the broker: the migration installs
its one-minute schedule, a worker writes the row, and once the cluster stops it goes stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django_q.models import Schedule
from django_q.tasks import async_task

from idconfluence.ops.heartbeats import CLUSTER, WATCHDOG, heartbeat_last
from idconfluence.ops.tasks import HEARTBEAT_SCHEDULE
from tests.ops.conftest import TOKEN, ops_settings, readyz
from tests.support.cluster import Process, child_env, start_cluster, wait_until


@pytest.mark.django_db
def test_the_migration_schedules_the_heartbeat_every_minute() -> None:
    schedule = Schedule.objects.get(name=HEARTBEAT_SCHEDULE)
    assert schedule.func == "idconfluence.ops.tasks.cluster_heartbeat"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)


def check_status(scraper: Client, name: str) -> str:
    _, body = readyz(scraper, f"?check={name}")
    return str(body["checks"][name]["status"])


def goes_stale(scraper: Client, name: str, setting: str) -> bool:
    """Once its process is stopped, the check fails as soon as its beat is older than 1 s."""
    with ops_settings(**{setting: 1}, METRICS_TOKEN=TOKEN):
        return bool(wait_until(lambda: check_status(scraper, name) == "failing", 10, "stale"))


@pytest.mark.postgres
@pytest.mark.cluster
@pytest.mark.django_db(transaction=True)
def test_a_running_cluster_beats_and_a_stopped_one_goes_stale(
    tmp_path: Path, scraper: Client
) -> None:
    cluster = start_cluster(tmp_path)
    try:
        async_task("idconfluence.ops.tasks.cluster_heartbeat")  # what the schedule sends
        beat = wait_until(lambda: heartbeat_last(CLUSTER), 20, "the cluster's heartbeat")
        assert beat.pid != 0
        assert check_status(scraper, "cluster") == "ok"
    finally:
        cluster.stop()
    assert goes_stale(scraper, "cluster", "CLUSTER_HEARTBEAT_MAX_AGE_SECONDS")


@pytest.mark.postgres
@pytest.mark.cluster
@pytest.mark.django_db(transaction=True)
def test_a_running_watchdog_beats_and_a_stopped_one_goes_stale(
    tmp_path: Path, scraper: Client
) -> None:
    watchdog = Process(["watchdog", "--interval", "0.2"], tmp_path / "watchdog.log", child_env())
    try:
        watchdog.wait_for_output("watchdog: started")
        first = wait_until(lambda: heartbeat_last(WATCHDOG), 20, "the watchdog's heartbeat")
        wait_until(lambda: heartbeat_last(WATCHDOG).beat_at > first.beat_at, 10, "a second beat")
        assert check_status(scraper, "watchdog") == "ok"
    finally:
        watchdog.stop()
    assert goes_stale(scraper, "watchdog", "WATCHDOG_HEARTBEAT_MAX_AGE_SECONDS")
