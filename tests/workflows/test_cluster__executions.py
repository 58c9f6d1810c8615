"""Executions through a real qcluster on PostgreSQL: success, the hard window, a killed worker,
a lost queue message."""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from idconfluence.conf import idc_settings
from tests.support.cluster import Process, child_env, start_cluster, wait_until
from tests.support.connector_types import journal_lines
from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from workflows.models import Execution, Run
from workflows.services.runs import run_start
from workflows.services.sweeps import sweep_overdue, sweep_unclaimed

pytestmark = [pytest.mark.postgres, pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
WINDOW = idc_settings.EXECUTION_WINDOW_SECONDS


@pytest.fixture
def cluster(tmp_path: Path):  # type: ignore[no-untyped-def]
    process = start_cluster(tmp_path)
    yield process
    process.stop()


def settled(run: Run, *states: str) -> Execution | None:
    execution = run.executions.order_by("-number").first()
    if execution is not None and execution.state in states:
        return execution
    return None


def test_four_block_workflow_runs_to_succeeded(tmp_path: Path, cluster: Process) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jane.doe"})
    execution = wait_until(lambda: settled(run, "succeeded", "parked"), 20, "the execution")
    assert execution.state == "succeeded", execution.failure_reason
    assert execution.steps.count() == 4
    run.refresh_from_db()
    assert run.state == "succeeded"
    assert len(journal_lines(tmp_path / "journal.jsonl")) == 2


def test_a_step_sleeping_past_the_window_is_stopped_and_parked(
    tmp_path: Path, cluster: Process
) -> None:
    journal_connector(tmp_path, sleep=60)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    execution = wait_until(lambda: settled(run, "parked", "succeeded"), WINDOW + 10, "parking")
    assert execution.state == "parked"
    assert execution.failure_reason == "execution window exceeded at step add_staff"
    assert execution.failed_block == "add_staff"
    elapsed = (execution.finished_at - execution.started_at).total_seconds()
    assert elapsed <= WINDOW + 2, elapsed
    intent = execution.steps.get(block_key="add_staff")
    assert intent.state == "unknown"  # its intent was recorded before the call: may have applied


def test_a_worker_killed_mid_execution_is_parked_by_the_sweep(
    tmp_path: Path, cluster: Process
) -> None:
    journal_connector(tmp_path, sleep=60)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    execution = wait_until(lambda: settled(run, "running"), 15, "a running execution")
    wait_until(lambda: execution.steps.filter(state="started").exists(), 5, "the intent step")
    os.kill(int(execution.worker.rsplit(":", 1)[1]), signal.SIGKILL)
    assert sweep_overdue() == 0  # not yet past deadline + grace
    time.sleep(WINDOW + idc_settings.WATCHDOG_GRACE_SECONDS + 0.5)
    assert sweep_overdue() == 1
    execution.refresh_from_db()
    assert execution.state == "parked"
    assert execution.failed_block == "add_staff"
    assert execution.failure_reason.startswith(
        "execution window exceeded at step add_staff (worker lost"
    )
    assert sweep_overdue() == 0  # idempotent


def test_a_queued_execution_whose_message_was_lost_still_runs(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    wait_until(lambda: OrmQ.objects.count() == 1, 5, "its message, sent after commit")
    OrmQ.objects.all().delete()  # the queue message is lost before any worker saw it
    cluster = start_cluster(tmp_path)
    watchdog = Process(
        ["watchdog", "--interval", "0.2"],
        tmp_path / "watchdog.log",
        child_env(IDC_REQUEUE_AFTER_SECONDS="1"),
    )
    try:
        execution = wait_until(lambda: settled(run, "succeeded", "parked"), 20, "the execution")
        assert execution.state == "succeeded"
        assert execution.enqueue_count == 2
        assert "re-enqueued 1" in watchdog.output()
    finally:
        watchdog.stop()
        cluster.stop()


def test_sweep_unclaimed_leaves_fresh_executions_alone(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    wait_until(lambda: OrmQ.objects.count() == 1, 5, "its message, sent after commit")
    assert sweep_unclaimed() == 0
    later = timezone.now() + timedelta(seconds=idc_settings.REQUEUE_AFTER_SECONDS + 1)
    assert sweep_unclaimed(now=later) == 1
    assert OrmQ.objects.count() == 2  # a duplicate message: harmless, claiming is a CAS
