"""A worker host frozen mid-call (SIGSTOP on its whole cluster, as a VM freeze would) past its
deadline + grace: the watchdog parks the execution, an operator retries it on another host and it
succeeds; then the frozen host wakes. Its late writes are fenced out: the run stays `succeeded`,
the resolved execution stays resolved, the context keeps the retry's output, and the target saw
each change once. And a watchdog whose clock runs 30 s ahead parks nothing inside its window."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from audit.models import AuditEvent
from idconfluence.conf import idc_settings
from tests.faults.support import Target, latest, ledger, lost_executions, target_server
from tests.support.cluster import Process, child_env, start_cluster, wait_until
from tests.support.documents import block, document, edge
from tests.support.factories import published
from workflows.models import Run
from workflows.services.runs import execution_retry, run_start

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
WINDOW = idc_settings.EXECUTION_WINDOW_SECONDS
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def two_groups(slug: str = "two-groups") -> dict:
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block(
                "add_staff",
                "action",
                "add_group_member",
                connector="target",
                args={"user": "=event.user", "group": "Staff"},
            ),
            block(
                "add_approvers",
                "action",
                "add_group_member",
                connector="target",
                args={"user": "=event.user", "group": "Approvers"},
            ),
        ],
        [edge("start", "add_staff"), edge("add_staff", "add_approvers")],
    )


@pytest.fixture
def target() -> Target:  # type: ignore[misc]
    with target_server() as server:
        yield server


def test_a_frozen_worker_that_wakes_after_a_successful_retry_changes_nothing(
    tmp_path: Path, target: Target
) -> None:
    target.connector()
    version = published(two_groups())
    target.delay = 4 * WINDOW  # the first POST is applied, its answer comes much later
    host_a = start_cluster(tmp_path)
    watchdog = Process(["watchdog", "--interval", "0.2"], tmp_path / "watchdog.log", child_env())
    host_b: Process | None = None
    frozen = False
    try:
        run = run_start(workflow=version.workflow, input={"user": "jo"})
        first = wait_until(lambda: latest(run, "running"), 20, "a running execution")
        wait_until(lambda: target.posts == 1, 10, "the POST reaching the target")
        os.killpg(host_a.proc.pid, signal.SIGSTOP)  # the whole host freezes mid-call
        frozen = True
        parked = wait_until(lambda: latest(run, "parked"), WINDOW + 15, "the watchdog parking")
        assert parked.pk == first.pk
        assert parked.failure_reason.startswith("execution window exceeded at step add_staff")
        target.delay = 0
        host_b = Process(["qcluster"], tmp_path / "host_b.log", child_env())
        host_b.wait_for_output("ready for work", timeout=60)
        retry = execution_retry(execution=parked, actor=None)
        done = wait_until(lambda: latest(run, "succeeded", "parked"), 20, "the retry")
        assert (done.pk, done.state) == (retry.pk, "succeeded"), done.failure_reason
        staff_step = done.steps.get(block_key="add_staff")
        assert staff_step.output["data"]["reconciled"] is True  # read back, not re-sent

        os.killpg(host_a.proc.pid, signal.SIGCONT)  # the frozen host wakes up
        frozen = False
        discarded = wait_until(
            lambda: AuditEvent.objects.filter(
                action="execution.result_discarded", execution_id=first.pk
            ).first(),
            15,
            "the late worker to give up",
        )
        assert discarded.details["would_have_been"] == "parked"
        run = Run.objects.get(pk=run.pk)
        first.refresh_from_db()
        assert run.state == "succeeded"
        assert first.state == "resolved"
        assert run.context["add_approvers"]["outcome"] == "changed"
        assert dict(target.applied) == {("jo", "Staff"): 1, ("jo", "Approvers"): 1}
        ledger(
            "worker host frozen past its deadline, woke after a retry",
            executions=run.executions.count(),
            lost=lost_executions(run),
            duplicated=target.duplicated(),
        )
    finally:
        if frozen:
            os.killpg(host_a.proc.pid, signal.SIGCONT)
        for process in (watchdog, host_a, host_b):
            if process is not None:
                process.stop()


def test_a_watchdog_whose_clock_runs_30s_ahead_parks_nothing_inside_its_window(
    tmp_path: Path, target: Target
) -> None:
    if not Path(FAKETIME).exists():
        pytest.fail("libfaketime is missing: scripts/services.sh installs the faketime package")
    target.connector()
    version = published(two_groups("two-groups-ahead"))
    target.delay = WINDOW / 4  # each call takes a quarter of the window: well inside it
    cluster = start_cluster(tmp_path)
    ahead = child_env(LD_PRELOAD=FAKETIME, FAKETIME="+30s")
    watchdog = Process(["watchdog", "--interval", "0.1"], tmp_path / "watchdog.log", ahead)
    try:
        runs = [run_start(workflow=version.workflow, input={"user": f"u{n}"}) for n in range(3)]
        for run in runs:
            done = wait_until(lambda r=run: latest(r, "succeeded", "parked"), 30, "a run")
            assert done.state == "succeeded", done.failure_reason
        assert watchdog.proc.poll() is None  # it ran throughout, 30 s ahead
        ledger(
            "watchdog clock 30 s ahead",
            executions=len(runs),
            lost=lost_executions(*runs),
            duplicated=target.duplicated(),
        )
    finally:
        watchdog.stop()
        cluster.stop()
