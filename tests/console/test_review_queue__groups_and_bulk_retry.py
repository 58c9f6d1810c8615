"""The review queue grouped by failure signature: three failures of one cause are one group of
three; retrying the group (after a page that shows the count) starts exactly three executions
in a background job. Stale, partial and hostile selections lose nothing and never 500."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from guardian.shortcuts import assign_perm

from idconfluence.jobs.models import AdminJob, AdminJobItem
from tests.console.support import QUEUE, failing_workflow, park, staff
from tests.support.factories import admin_user
from tests.support.jobs import run_open_items
from workflows.console.review_groups import failure_groups
from workflows.models import Execution, ParkedExecution
from workflows.services.runs import execution_retry

pytestmark = pytest.mark.django_db(transaction=True)
ACT = QUEUE + "act/"


def three_and_one(tmp_path: Path) -> tuple[list[Execution], Execution]:
    joiners = failing_workflow(tmp_path)
    same = [park(joiners, user) for user in ("ann", "bob", "cy")]
    other = failing_workflow(tmp_path, slug="other-joiners", connector="ledger")
    return same, park(other, "dee")


def operator() -> Client:
    client, _ = staff("operator", "operate_execution", "view_workflow")
    return client


def test_three_failures_of_one_signature_are_one_group_of_three(tmp_path: Path) -> None:
    same, _other = three_and_one(tmp_path)
    groups = failure_groups(ParkedExecution.objects.all())
    assert [(g.count, g.signature.workflow) for g in groups] == [
        (1, "other-joiners"),  # newest failure first
        (3, "four-step"),
    ]
    three = groups[1]
    assert sorted(three.execution_ids) == sorted(e.pk for e in same)
    assert (three.signature.block, three.signature.connector, three.signature.error_kind) == (
        "add_staff",
        "journal",
        "refused by the target",
    )
    client = operator()
    page = client.get(QUEUE).content.decode()
    rows = re.findall(r'<tr class="failure-group" data-group="(\w+)">', page)
    assert rows == [groups[0].key, three.key]
    assert f'<a href="?signature={three.key}">3</a>' in page
    filtered = client.get(QUEUE, {"signature": three.key}).content.decode()
    assert sorted(
        int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', filtered)
    ) == sorted(e.pk for e in same)


def test_a_bulk_retry_of_the_group_starts_three_executions_after_showing_the_count(
    tmp_path: Path,
) -> None:
    same, other = three_and_one(tmp_path)
    key = failure_groups(ParkedExecution.objects.all())[1].key
    client = operator()
    confirm = client.get(ACT + "retry/", {"group": key})
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Retry from the failed step: <strong>3</strong> parked executions" in page
    assert Execution.objects.count() == 4  # nothing done before confirming
    ids = re.search(r'name="ids" value="([\d,]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post(ACT + "retry/", {"ids": ids, "confirm": "yes"})
    job = AdminJob.objects.get()
    assert (
        answer.status_code == 302 and answer["Location"] == f"/admin/jobs/adminjob/{job.pk}/change/"
    )
    assert run_open_items() == ["done", "done", "done"]  # the background job, run here
    retries = Execution.objects.filter(retry_of__isnull=False)
    assert sorted(r.retry_of_id for r in retries) == sorted(e.pk for e in same)
    assert {(r.start_block, r.state) for r in retries} == {("add_staff", "queued")}
    assert Execution.objects.get(pk=other.pk).state == "parked"  # the other group untouched
    progress = client.get(answer["Location"]).content.decode()
    assert "3 done, 0 failed, 0 remaining" in progress


def test_a_member_retried_meanwhile_is_left_out_and_said_so(tmp_path: Path) -> None:
    same, _ = three_and_one(tmp_path)
    client = operator()
    ids = ",".join(str(e.pk) for e in same)
    execution_retry(execution=same[0], actor=None)  # another operator, between page and click
    answer = client.post(ACT + "retry/", {"ids": ids, "confirm": "yes"}, follow=True)
    assert "1 of the 3 selected left the queue" in answer.content.decode()
    shown = answer.content.decode()
    assert f"Execution {same[0].pk} was already retried as execution" in shown  # why, per item
    assert run_open_items() == ["done", "done"]
    assert Execution.objects.filter(retry_of__isnull=False).count() == 3  # 1 earlier + 2 now


def test_a_selection_from_the_list_shows_the_count_before_anything_runs(tmp_path: Path) -> None:
    same, other = three_and_one(tmp_path)
    client = operator()
    chosen = [same[0].pk, other.pk]
    page = client.post(QUEUE, {"action": "retrigger_selected", "_selected_action": chosen})
    assert page.status_code == 200
    text = page.content.decode()
    assert "<strong>2</strong> parked executions (2 runs)" in text
    assert not AdminJob.objects.exists()


@pytest.mark.parametrize(
    "ids",
    ["1;DROP TABLE x", "-1", "abc", "9" * 40, ",", "1" + ",1" * 6000],
)
def test_hostile_ids_are_refused_with_a_message_and_nothing_runs(tmp_path: Path, ids: str) -> None:
    three_and_one(tmp_path)
    client = operator()
    answer = client.post(ACT + "retry/", {"ids": ids, "confirm": "yes"}, follow=True)
    assert answer.status_code == 200
    assert not AdminJob.objects.exists()
    assert Execution.objects.filter(retry_of__isnull=False).count() == 0
    messages = answer.content.decode()
    assert (
        "Not an execution id" in messages
        or "Select at least" in messages
        or ("At most" in messages)
        or "none of the selected executions is still parked" in messages
    )


def test_executions_of_workflows_one_may_not_view_are_invisible_and_left_out(
    tmp_path: Path,
) -> None:
    same, other = three_and_one(tmp_path)
    client, user = staff("scoped", "operate_execution")
    assign_perm("workflows.view_workflow", user, same[0].run.workflow)  # only four-step
    page = client.get(QUEUE).content.decode()
    assert "other-joiners" not in page
    assert client.get(f"{QUEUE}{other.pk}/change/").status_code == 404  # not found
    ids = f"{same[0].pk},{other.pk}"
    client.post(ACT + "retry/", {"ids": ids, "confirm": "yes"})
    assert Execution.objects.get(pk=other.pk).state == "parked"
    assert Execution.objects.get(pk=same[0].pk).state == "resolved"  # one row: done inline


def test_without_the_operate_permission_there_is_no_button_and_the_url_refuses(
    tmp_path: Path,
) -> None:
    same, _ = three_and_one(tmp_path)
    viewer, _ = staff("viewer", "view_workflow")
    page = viewer.get(QUEUE).content.decode()
    assert "Retry 3" not in page
    assert viewer.get(ACT + "retry/", {"ids": same[0].pk}).status_code == 403
    assert viewer.post(ACT + "retry/", {"ids": same[0].pk, "confirm": "yes"}).status_code == 403
    assert Execution.objects.count() == 4


def test_an_unknown_action_or_group_answers_plainly(tmp_path: Path) -> None:
    three_and_one(tmp_path)
    client = Client()
    client.force_login(admin_user())
    assert client.get(ACT + "explode/", {"ids": "1"}).status_code == 404
    gone = client.get(ACT + "retry/", {"group": "0123456789abcdef"})
    assert gone.status_code == 200
    assert "Nothing to do" in gone.content.decode()


def test_two_operators_retrying_the_same_group_start_three_executions_not_six(
    tmp_path: Path,
) -> None:
    same, _ = three_and_one(tmp_path)
    ids = ",".join(str(e.pk) for e in same)
    first, second = operator(), staff("second", "operate_execution", "view_workflow")[0]
    for client in (first, second):  # both confirmed from the same page, before any worker ran
        client.post(ACT + "retry/", {"ids": ids, "confirm": "yes"})
    assert AdminJob.objects.count() == 2
    outcomes = sorted(run_open_items())
    assert outcomes == ["done"] * 3 + ["failed"] * 3
    assert Execution.objects.filter(retry_of__isnull=False).count() == 3
    refusals = AdminJobItem.objects.filter(state="failed").values_list("message", flat=True)
    assert all("was already retried as execution" in m for m in refusals), list(refusals)
