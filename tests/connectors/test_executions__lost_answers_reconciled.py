"""Through a whole execution: a SCIM target that creates the user and drops the connection, then
a REST target that applies a POST and answers 502. Each change is applied once, the run succeeds,
and each step shows how it was reconciled. Without a state check the REST call's outcome is
unknown: the execution parks as "may have been applied", and the operator's retry reconciles."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.models import Connector
from tests.connectors.servers import Proxy, ScimServer, unique
from tests.connectors.test_rest__write_answered_502_applied_once import Target, rest, target
from tests.connectors.test_scim__create_answer_lost_reconciled import users_named
from tests.faults.support import ledger, lost_executions
from tests.support.documents import block, document, edge
from tests.support.factories import perform, published
from workflows.services.runs import execution_retry, run_start

pytestmark = [pytest.mark.servers, pytest.mark.django_db]
__all__ = ["target"]  # the REST target fixture, shared with its connector tests


def joiner(slug: str) -> dict[str, Any]:
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block(
                "account",
                "action",
                "provision_access",
                connector="scim",
                args={"user": "=event.user", "resource": "account"},
            ),
            block(
                "add_staff",
                "action",
                "add_group_member",
                connector="rest",
                args={"user": "u1", "group": "g1"},
            ),
        ],
        [edge("start", "account"), edge("account", "add_staff")],
    )


def connectors(scim: ScimServer, http_server: Any, *, check: bool) -> None:
    row = Connector(name="scim", type="scim", config=scim.config())
    row.set_secrets({"token": scim.token})
    row.save()
    row = Connector(
        name="rest",
        type="rest",
        config=rest(http_server, check=check, idempotency_header="Idempotency-Key").config,
    )
    row.set_secrets({})
    row.save()


def test_both_lost_answers_are_read_back_and_each_change_is_made_once(
    scim_server: ScimServer,
    scim_proxy: tuple[Proxy, ScimServer],
    http_server: Any,
    target: Target,
) -> None:
    proxy, through_proxy = scim_proxy
    connectors(through_proxy, http_server, check=True)
    proxy.once("POST", "/v2/Users", drop=True)
    target.answers = [(True, 502)]
    alice = unique("alice")
    run = run_start(workflow=published(joiner("lost-answers")).workflow, input={"user": alice})

    execution = perform(run)

    assert execution.state == "succeeded", execution.failure_reason
    steps = {s.block_key: s for s in execution.steps.all()}
    for key in ("account", "add_staff"):
        assert steps[key].output["data"]["reconciled"] is True
        assert "reconciled: may have been applied" in steps[key].output["message"]
    assert proxy.sent("POST", "/v2/Users") == 1 and len(users_named(scim_server, alice)) == 1
    assert target.members == ["u1"] and len(target.posts) == 1
    ledger(
        "SCIM create answer dropped + REST POST applied then 502",
        executions=1,
        lost=lost_executions(run),
        duplicated=len(users_named(scim_server, alice)) - 1 + len(target.members) - 1,
    )


def test_without_a_state_check_it_parks_as_may_have_been_applied_and_retry_reconciles(
    scim_server: ScimServer, http_server: Any, target: Target
) -> None:
    connectors(scim_server, http_server, check=False)
    target.answers = [(True, 502)]
    run = run_start(
        workflow=published(joiner("unknown-outcome")).workflow, input={"user": unique("bob")}
    )

    parked = perform(run)

    assert (parked.state, parked.failed_block) == ("parked", "add_staff")
    assert "may have been applied" in parked.failure_reason
    assert parked.steps.get(block_key="add_staff").state == "unknown"
    assert parked.steps.get(block_key="account").state == "succeeded"  # not in question
    retry = perform(execution_retry(execution=parked, actor=None).run)
    assert retry.state == "succeeded", retry.failure_reason
    step = retry.steps.get(block_key="add_staff")
    assert "not reconciled: no state check configured" in step.output["message"]
    assert [r.headers["Idempotency-Key"] for r in target.posts] == [f"idc-{run.pk}-add_staff"] * 2
    assert target.members == ["u1"]  # the target de-duplicated the key: applied once
    ledger(
        "REST POST applied then 502, no state check: parked, retried",
        executions=2,
        lost=lost_executions(run),
        duplicated=len(target.members) - 1,
    )
