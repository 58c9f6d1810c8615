"""Issue 10: executions committed together share one queue message (django-q2's per-task cost is
shared), yet each is claimed, windowed and stored on its own; a task that would outgrow
django-q2's timeout sends the rest back instead of starting them late."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django_q.models import OrmQ

from idconfluence.conf import idc_settings
from tests.support.cluster import ROOT, child_env, start_cluster, wait_until
from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from workflows import queue, tasks
from workflows.models import Execution
from workflows.services.runs import run_start

RUNS = 30


@pytest.mark.postgres
@pytest.mark.cluster
@pytest.mark.django_db(transaction=True)
def test_thirty_runs_go_out_in_few_messages_and_each_gets_its_own_window(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    workflow = published(four_step()).workflow
    with transaction.atomic():  # committed together (as concurrent webhooks commit close by)
        for n in range(RUNS):
            run_start(workflow=workflow, input={"type": "HIRE", "user": f"u{n}"})
    wait_until(lambda: OrmQ.objects.count() == 2, 5, "two messages: 20 and 10 executions")

    cluster = start_cluster(tmp_path)
    try:
        wait_until(
            lambda: Execution.objects.filter(state="succeeded").count() == RUNS, 60, "all to run"
        )
    finally:
        cluster.stop()
    window = timedelta(seconds=idc_settings.EXECUTION_WINDOW_SECONDS)
    rows = list(Execution.objects.order_by("started_at").values("started_at", "deadline"))
    assert all(row["deadline"] - row["started_at"] == window for row in rows)
    assert len({row["started_at"] for row in rows}) == RUNS  # each stamped when it started
    lines = (tmp_path / "journal.jsonl").read_text().splitlines()
    assert len(lines) == 2 * RUNS  # two actions a run, each once


@pytest.mark.django_db(transaction=True)
def test_a_batch_that_would_outlast_the_task_timeout_sends_the_rest_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = float(idc_settings.EXECUTION_WINDOW_SECONDS)
    journal_connector(tmp_path, sleep=window * 0.3)  # two calls a run: two runs > one window
    workflow = published(four_step()).workflow
    sent_back: list[list[int]] = []
    monkeypatch.setattr(queue, "enqueue_many_or_leave_to_watchdog", sent_back.append)
    ids = []
    with override_settings(IDCONFLUENCE={**settings.IDCONFLUENCE, "ENQUEUE_DELAY_MS": 0}):
        for n in range(4):
            run = run_start(workflow=workflow, input={"type": "HIRE", "user": f"u{n}"})
            ids.append(run.executions.get().pk)
    assert sent_back == [[pk] for pk in ids]  # with no delay: one message each, at once
    sent_back.clear()

    summary = tasks.execute_many(ids)

    assert sent_back == [ids[2:]], summary
    assert summary.endswith("2 sent back")
    states = dict(Execution.objects.values_list("pk", "state"))
    assert [states[pk] for pk in ids] == ["succeeded", "succeeded", "queued", "queued"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_command_that_exits_right_after_its_commit_still_sends_the_message(
    tmp_path: Path,
) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "run_workflow", version.workflow.slug],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert OrmQ.objects.count() == 1, done.stderr  # sent before the process ended, not 30 s later


def test_a_clock_that_jumps_while_ids_are_sent_does_not_stall_the_sender(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The sender spaces its messages by ENQUEUE_INTERVAL_MS measured on the monotonic clock; a
    send made while that clock read a year ahead (time travel in a test, a bad VM clock) once
    made the next send wait for that year, and every execution after it waited for the
    watchdog."""
    sent: list[list[int]] = []
    arrived = threading.Event()

    def record(ids: list[int]) -> None:
        sent.append(list(ids))
        arrived.set()

    monkeypatch.setattr(queue, "enqueue_many_or_leave_to_watchdog", record)
    coalescer = queue._Coalescer()
    ahead = time.monotonic() + 365 * 24 * 3600
    with monkeypatch.context() as clock:
        clock.setattr(queue.time, "monotonic", lambda: ahead)
        coalescer.add(1)
        assert arrived.wait(5), "the first id was not sent"
        time.sleep(0.1)  # the sender has stamped its send on the clock a year ahead
    arrived.clear()
    coalescer.add(2)
    assert arrived.wait(2), f"the next id waited for the clock to come back: sent {sent}"
    assert sent == [[1], [2]]


def _recording_coalescer(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[queue._Coalescer, list[list[int]]]:
    """A coalescer whose messages are recorded instead of sent (the broker stays as it is)."""
    sent: list[list[int]] = []
    monkeypatch.setattr(queue, "enqueue_many_or_leave_to_watchdog", lambda ids: sent.append(ids))
    return queue._Coalescer(), sent


def _add_slowly(coalescer: queue._Coalescer, ids: range) -> None:
    for pk in ids:
        coalescer.add(pk)
        time.sleep(0.003)


@pytest.mark.django_db(transaction=True)
def test_while_messages_wait_in_the_broker_new_ids_fill_one_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A message sent while others wait untaken would wait behind them: the sender holds ids
    (up to ENQUEUE_HOLD_MS) to send fewer, fuller messages; the engine benchmark went from about
    5 to 12 executions a message, and django-q2's cost per message is shared by that many."""
    queue.enqueue(10**9)  # a message no worker has taken: the cluster is behind
    assert queue.broker().queue_size() == 1
    coalescer, sent = _recording_coalescer(monkeypatch)

    with override_settings(IDCONFLUENCE={**settings.IDCONFLUENCE, "ENQUEUE_HOLD_MS": 100}):
        _add_slowly(coalescer, range(1, 13))
        wait_until(lambda: sum(map(len, sent)) == 12, 5, "all twelve ids sent")
    assert sent == [list(range(1, 13))]  # one message, not one per interval


@pytest.mark.django_db(transaction=True)
def test_with_nothing_waiting_in_the_broker_the_first_id_goes_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert queue.broker().queue_size() == 0
    coalescer, sent = _recording_coalescer(monkeypatch)

    with override_settings(IDCONFLUENCE={**settings.IDCONFLUENCE, "ENQUEUE_HOLD_MS": 100}):
        _add_slowly(coalescer, range(1, 13))
        wait_until(lambda: sum(map(len, sent)) == 12, 5, "all twelve ids sent")
    assert 1 in sent[0] and len(sent) >= 2  # sent as it comes (the first after ENQUEUE_DELAY_MS)


def test_the_sender_survives_a_loop_that_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking the connection after a send raises when the database is down (or, in a test,
    not open to this thread); the thread once died of it, and from then on every execution
    committed in the process waited REQUEUE_AFTER_SECONDS for the watchdog."""
    coalescer, sent = _recording_coalescer(monkeypatch)
    failures = iter([RuntimeError("the database went away")])

    def check_connections() -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure

    monkeypatch.setattr(queue, "close_old_connections", check_connections)
    coalescer.add(1)
    wait_until(lambda: sent == [[1]], 5, "the first id")
    time.sleep(0.05)  # the failing check has run
    coalescer.add(2)
    wait_until(lambda: sent == [[1], [2]], 5, "the next id, after the failure")
