"""Approval tasks over the API: the approver sees the task waiting on them (`mine`), decides it
once, and the run goes on at the chosen edge; others cannot see it (404) or, seeing it, cannot
decide it (403); a second decision or a bad outcome is a JSON refusal saying why."""

from __future__ import annotations

import pytest

from approvals.models import ApprovalTask
from tests.api.conftest import client_for, user_with
from tests.approvals.support import waiting_run
from workflows.models import Execution

pytestmark = pytest.mark.django_db
TASKS = "/api/v1/approvals/tasks/"


def test_the_approver_decides_once_and_the_run_goes_on() -> None:
    run, task = waiting_run()
    raj = user_with("raj")
    raj.email = "raj@acme.example"
    raj.save()
    api = client_for(raj)

    mine = api.get(TASKS, {"mine": "true"}).json()["results"]
    assert [t["id"] for t in mine] == [task.pk] and mine[0]["outcomes"]
    bad = api.post(f"{TASKS}{task.pk}/decide/", {"outcome": "maybe"}, format="json")
    assert bad.status_code == 409 and "Choose one of" in bad.json()["detail"]

    decided = api.post(
        f"{TASKS}{task.pk}/decide/", {"outcome": "approved", "comment": "ok"}, format="json"
    )

    assert decided.status_code == 200, decided.content
    assert decided.json()["state"] == "decided" and decided.json()["decision"] == "approved"
    resumed = Execution.objects.filter(run=run, resume_outcome="approved").get()
    assert resumed.state == "queued"
    again = api.post(f"{TASKS}{task.pk}/decide/", {"outcome": "rejected"}, format="json")
    assert again.status_code == 409 and "Already decided" in again.json()["detail"]


def test_others_do_not_see_it_and_viewers_cannot_decide_it() -> None:
    _, task = waiting_run()
    stranger = client_for(user_with("stranger"))
    viewer = client_for(user_with("viewer", ("approvals.view_approvaltask",)))

    assert stranger.get(f"{TASKS}{task.pk}/").status_code == 404
    assert stranger.get(TASKS).json()["results"] == []
    hidden = stranger.post(f"{TASKS}{task.pk}/decide/", {"outcome": "approved"}, format="json")
    assert hidden.status_code == 404
    assert viewer.get(f"{TASKS}{task.pk}/").status_code == 200
    refused = viewer.post(f"{TASKS}{task.pk}/decide/", {"outcome": "approved"}, format="json")
    assert refused.status_code == 403 and "not an approver" in refused.json()["detail"]
    assert ApprovalTask.objects.get(pk=task.pk).state == "open"
