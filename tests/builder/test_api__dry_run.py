"""POST workflows/<id>/dry-run/: the saved draft walked on a sample or a past run's input; the
path taken, and what each action would change, read from the target; nothing is changed."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from connectors.models import Connector, LocalGrant
from tests.support.factories import perform
from workflows.models import Run, Workflow
from workflows.services.runs import run_start

from .conftest import API, client_for, hire_sample, person

pytestmark = pytest.mark.django_db(transaction=True)


def dry_run_url(workflow: Workflow) -> str:
    return f"{API}workflows/{workflow.pk}/dry-run/"


def test_a_dry_run_shows_the_path_and_what_each_action_would_do(
    api: APIClient, joiner: Workflow, directory: Connector
) -> None:
    api.get(f"{API}workflows/{joiner.pk}/draft/")
    LocalGrant.objects.create(
        connector=directory, user="jane.doe", kind="group", value="Finance-Analysts"
    )
    response = api.post(dry_run_url(joiner), {"input": hire_sample()})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "succeeded"
    assert body["path"] == [
        "hire",
        "person",
        "standard_tools",
        "by_department",
        "finance_group",
        "risky",
        "flag_review",
    ]
    assert {"from": "by_department", "outcome": "Finance", "to": "finance_group"} in body["edges"]
    would = {step["block"]: step["would"] for step in body["steps"]}
    assert would["standard_tools"] == "would grant access email+chat+wiki for jane.doe"
    assert (
        would["finance_group"] == "jane.doe already holds group Finance-Analysts"
    )  # read from the target
    assert would["flag_review"] == "would grant role quarterly-access-review for jane.doe"
    assert LocalGrant.objects.count() == 1  # nothing was granted
    run = Run.objects.get(pk=body["run_id"])
    assert run.dry_run and run.version.state == "draft"


def test_a_past_runs_input_can_be_replayed(api: APIClient, joiner: Workflow) -> None:
    past = run_start(
        workflow=joiner,
        input={**hire_sample(), "worker": {**hire_sample()["worker"], "riskScore": 5}},
    )
    perform(past)
    api.get(f"{API}workflows/{joiner.pk}/draft/")
    body = api.post(dry_run_url(joiner), {"run_id": past.pk}).json()
    assert body["path"][-2:] == ["risky", "done"]


def test_bad_requests_are_refused_with_a_reason(api: APIClient, joiner: Workflow) -> None:
    api.get(f"{API}workflows/{joiner.pk}/draft/")
    other = Workflow.objects.create(slug="other", name="Other")
    version = joiner.published_version
    assert version is not None
    foreign = Run.objects.create(workflow=other, version=version, trigger_kind="manual")
    for body in (
        {},
        {"input": [1]},
        {"input": {}, "run_id": 1},
        {"run_id": foreign.pk},
        {"run_id": "x"},
    ):
        response = api.post(dry_run_url(joiner), body)
        assert response.status_code == 400, (body, response.content)
    assert not Run.objects.filter(dry_run=True).exists()


def test_a_draft_with_problems_is_not_dry_run(api: APIClient, joiner: Workflow) -> None:
    opened = api.get(f"{API}workflows/{joiner.pk}/draft/").json()
    document = opened["document"]
    document["edges"] = document["edges"][:-1]
    api.put(
        f"{API}workflows/{joiner.pk}/draft/", {"revision": opened["revision"], "document": document}
    )
    response = api.post(dry_run_url(joiner), {"input": hire_sample()})
    assert response.status_code == 400
    assert "risky" in {issue["block"] for issue in response.json()["issues"]}


def test_a_dry_run_needs_the_run_permission(joiner: Workflow) -> None:
    viewer = client_for(person("val", "workflows.view_workflow", workflow=joiner))
    assert viewer.post(dry_run_url(joiner), {"input": hire_sample()}).status_code == 403
