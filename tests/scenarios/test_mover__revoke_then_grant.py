"""Mover template, end to end: SAP posts a job change (shared-secret header) to the real web
server; the real cluster revokes the Engineering access and grants the financial reporting suite
in one execution. The SCIM service sits behind a proxy that reads the target itself before every
membership change: the mover never holds both accesses at once. When the grant fails after the
revoke, the run stops in the review queue saying "left without access" and the compensation path
emails the manager and security."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.connectors.servers import Proxy, SmtpServer, start_proxy
from tests.scenarios.support import (
    Inbox,
    Scim,
    Sender,
    audit_actions,
    install,
    mail_connector,
    run_of,
    sample,
    scim_connector,
    settled,
    steps,
    unique,
)
from tests.support.cluster import Process, wait_until
from tests.support.factories import admin_user
from tests.support.gunicorn import Gunicorn
from workflows.models import Execution

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.servers,
    pytest.mark.django_db(transaction=True),
]
ENGINEERING = {"Engineering-Repositories", "Development-Environments"}
FINANCE = "Financial-Reporting"


@pytest.fixture
def proxied(scim: Scim) -> Iterator[tuple[Proxy, Scim]]:
    """The connector's view of the SCIM service: through a proxy the test can hook."""
    proxy, server = start_proxy(scim.base_url)
    try:
        yield proxy, Scim(f"http://127.0.0.1:{proxy.port}/v2")
    finally:
        server.shutdown()
        server.server_close()


def mover(user: str) -> Any:
    payload = sample("mover")
    payload["id"] = unique("sap")
    payload["data"]["userId"] = user
    return payload


def seed(scim: Scim, user: str, *, with_finance_group: bool = True) -> list[str]:
    user_id = scim.add_user(user)
    groups = [scim.add_group(name, [user_id]) for name in sorted(ENGINEERING)]
    if with_finance_group:
        groups.append(scim.add_group(FINANCE))
    return groups


def test_the_mover_loses_engineering_before_gaining_finance_never_both(
    web: Gunicorn, cluster: Process, scim: Scim, proxied: tuple[Proxy, Scim], smtp_server: Any
) -> None:
    proxy, through_proxy = proxied
    user = unique("omar")
    seen: list[set[str]] = []
    for group_id in seed(scim, user):  # before each membership change reaches the target
        proxy.once(
            "PATCH", f"/v2/Groups/{group_id}", before=lambda: seen.append(scim.groups_of(user))
        )
    scim_connector(through_proxy)
    mail_connector(smtp_server)
    workflow = install("mover")

    answer = Sender.for_workflow(web, workflow).post(mover(user), header="X-Hook-Secret")
    run = settled(run_of(answer), "succeeded")

    assert seen == [ENGINEERING, {"Development-Environments"}, set()]  # read between the steps
    assert scim.groups_of(user) == {FINANCE}
    for held in [*seen, scim.groups_of(user)]:
        assert not (held & ENGINEERING and FINANCE in held), held
    assert run.executions.count() == 1  # one execution: no window in which both are held
    assert [key for key, _ in steps(run)] == [
        "job_change",
        "into_finance",
        "revoke_repositories",
        "revoke_environments",
        "grant_reporting",
        "done",
    ]
    assert audit_actions(run).count("step.external_call") == 3


def test_a_grant_failing_after_the_revoke_says_left_without_access_and_tells_people(
    web: Gunicorn, cluster: Process, scim: Scim, smtp_server: SmtpServer, inbox: Inbox
) -> None:
    user = unique("lena")
    seed(scim, user, with_finance_group=False)  # the grant will find no Financial-Reporting
    scim_connector(scim)
    mail_connector(smtp_server)
    workflow = install("mover")

    answer = Sender.for_workflow(web, workflow).post(mover(user), header="X-Hook-Secret")
    run = settled(run_of(answer), "failed")

    assert scim.groups_of(user) == set()  # revoked, not granted: left without access
    execution = Execution.objects.get(run=run)
    assert execution.state == "parked" and execution.failed_block == "left_without_access"
    assert f"left without access: {user} lost the Engineering access" in execution.failure_reason
    assert "no SCIM group named 'Financial-Reporting'" in execution.failure_reason
    assert [(key, state) for key, state in steps(run)][-3:] == [
        ("grant_reporting", "failed"),
        ("tell_left_without_access", "succeeded"),
        ("left_without_access", "failed"),
    ]
    subject = f"{user} was left without access"
    for to in ("security@acme.example", "raj.patel@acme.example"):
        wait_until(lambda to=to: subject in inbox.subjects(to), 10, f"mail to {to}")
    assert "execution.parked" in audit_actions(run)

    client = Client()
    client.force_login(admin_user())
    queue = client.get("/admin/workflows/parkedexecution/").content.decode()
    assert "left without access" in queue
