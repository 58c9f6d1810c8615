"""Two clicks and the timeout sweep, at once, 50 times (threads on PostgreSQL): each time exactly
one of them wins, and the run resumes exactly once, at the winner's edge."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from approvals.services.deciding import DecisionRefused, task_decide
from approvals.services.sweep import task_expire
from tests.approvals.support import sent_links, waiting_run
from workflows.models import Execution

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TRIES = 50


def race(token: str, task_id: int, due_at: Any) -> list[str]:
    barrier = threading.Barrier(3)
    winners: list[str] = []
    errors: list[BaseException] = []

    def click(outcome: str) -> None:
        try:
            barrier.wait()
            task_decide(token=token, outcome=outcome, comment="race")
            winners.append(outcome)
        except DecisionRefused:
            pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def sweep() -> None:
        try:
            barrier.wait()
            if task_expire(task_id=task_id, now=due_at):  # the sweep judges the task due
                winners.append("timeout")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=click, args=("approved",)),
        threading.Thread(target=click, args=("rejected",)),
        threading.Thread(target=sweep),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return winners


def test_a_decision_racing_the_timeout_sweep_ends_with_exactly_one_winner() -> None:
    get_user_model().objects.create_user("raj", "raj@acme.example")
    seen: dict[str, int] = {}
    for _ in range(TRIES):
        before = set(sent_links())
        run, task = waiting_run()  # its link emailed when the waiting commit commits
        [token] = set(sent_links()) - before
        winners = race(token, task.pk, task.due_at)
        assert len(winners) == 1, winners
        task.refresh_from_db()
        assert (task.decision or "timeout") == winners[0]
        assert task.state == ("expired" if winners[0] == "timeout" else "decided")
        resumed = Execution.objects.filter(run=run, number=2)
        assert [e.resume_outcome for e in resumed] == [winners[0]]
        assert Execution.objects.filter(run=run).count() == 2
        seen[winners[0]] = seen.get(winners[0], 0) + 1
    assert sum(seen.values()) == TRIES
