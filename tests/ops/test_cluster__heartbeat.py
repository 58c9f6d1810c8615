"""The cluster's heartbeat comes from a real qcluster through the broker: the migration installs
its one-minute schedule, a worker writes the row, and once the cluster stops it goes stale."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django_q.models import Schedule
from django_q.tasks import async_task

from idconfluence.ops.heartbeats import CLUSTER, heartbeat_last
from idconfluence.ops.tasks import HEARTBEAT_SCHEDULE
from tests.ops.conftest import ops_settings, readyz
from tests.support.cluster import start_cluster, wait_until


@pytest.mark.django_db
def test_the_migration_schedules_the_heartbeat_every_minute() -> None:
    schedule = Schedule.objects.get(name=HEARTBEAT_SCHEDULE)
    assert schedule.func == "idconfluence.ops.tasks.cluster_heartbeat"
    assert (schedule.schedule_type, schedule.minutes, schedule.repeats) == (Schedule.MINUTES, 1, -1)


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
        _, body = readyz(scraper, "?check=cluster")
        assert body["checks"]["cluster"]["status"] == "ok", body
    finally:
        cluster.stop()
    with ops_settings(
        CLUSTER_HEARTBEAT_MAX_AGE_SECONDS=1, METRICS_TOKEN="scrape-token-for-tests-only"
    ):
        _, body = wait_until(
            lambda: (r := readyz(scraper, "?check=cluster"))[0] == 503 and r, 10, "stale beat"
        )
    assert body["checks"]["cluster"]["status"] == "failing"
