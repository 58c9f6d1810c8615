"""Leaver and contractor-expiry templates, end to end: a signed Workday event to the real web
server; the real cluster disables the account in a real slapd (the ppolicy lock), takes it out of
every group (read back through the memberof overlay), deactivates the SCIM account, and the
manager and security (the sponsor, for a contractor) get an email. An employee's contract event
is turned away by the contractor template's filter: no run, nothing touched."""

from __future__ import annotations

from typing import Any

import pytest

from tests.connectors.servers import Slapd, SmtpServer
from tests.connectors.servers import unique as ldap_unique
from tests.scenarios.support import (
    Inbox,
    Scim,
    Sender,
    audit_actions,
    install,
    ldap_connector,
    ldap_state,
    mail_connector,
    run_of,
    sample,
    scim_connector,
    settled,
    steps,
    unique,
)
from tests.support.cluster import Process, wait_until
from tests.support.gunicorn import Gunicorn
from workflows.models import Run

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.servers,
    pytest.mark.django_db(transaction=True),
]


def person(slapd: Slapd, scim: Scim, groups: int) -> tuple[str, str, list[str]]:
    uid = unique("li")
    dn = slapd.add_user(uid)
    owner = slapd.add_user(ldap_unique("owner"))  # groupOfNames keeps at least one member
    group_dns = [slapd.add_group(ldap_unique("Team"), [owner, dn]) for _ in range(groups)]
    scim.add_user(uid)
    return uid, dn, group_dns


def connectors(slapd: Slapd, scim: Scim, smtp: SmtpServer) -> None:
    ldap_connector(slapd)
    scim_connector(scim)
    mail_connector(smtp)


def test_a_leaver_is_disabled_removed_from_every_group_revoked_and_reported(
    web: Gunicorn, cluster: Process, slapd: Slapd, scim: Scim, smtp_server: SmtpServer, inbox: Inbox
) -> None:
    uid, dn, group_dns = person(slapd, scim, groups=3)
    assert ldap_state(slapd, dn) == (False, set(group_dns))
    connectors(slapd, scim, smtp_server)
    workflow = install("leaver")
    payload = sample("leaver")
    payload["eventId"] = unique("evt")
    payload["worker"]["userName"] = uid

    run = settled(run_of(Sender.for_workflow(web, workflow).post(payload)), "succeeded")

    assert ldap_state(slapd, dn) == (True, set())  # disabled, in no group
    assert scim.user(uid)["active"] is False  # type: ignore[index]
    subject = f"{uid} has left: access removed"
    for to in ("sara.costa@acme.example", "security@acme.example"):
        wait_until(lambda to=to: subject in inbox.subjects(to), 10, f"mail to {to}")
    assert steps(run) == [
        ("termination", "succeeded"),
        ("disable_account", "succeeded"),
        ("remove_groups", "succeeded"),
        ("revoke_saas", "succeeded"),
        ("notify", "succeeded"),
    ]
    assert sorted(run.context["remove_groups"]["data"]["groups"]) == sorted(group_dns)
    assert audit_actions(run).count("step.external_call") == 4


def contract_end(uid: str, employee_type: str = "Contractor") -> Any:
    payload = sample("contractor-expiry")
    payload["eventId"] = unique("evt")
    payload["worker"].update(userName=uid, employeeType=employee_type)
    return payload


def test_an_ended_contract_deactivates_the_contractor_and_tells_the_sponsor(
    web: Gunicorn, cluster: Process, slapd: Slapd, scim: Scim, smtp_server: SmtpServer, inbox: Inbox
) -> None:
    uid, dn, _ = person(slapd, scim, groups=1)
    employee, employee_dn, _ = person(slapd, scim, groups=0)
    connectors(slapd, scim, smtp_server)
    sender = Sender.for_workflow(web, install("contractor-expiry"))

    ignored = sender.post(contract_end(employee, employee_type="Regular"))
    assert ignored["status"] == "ignored"
    run = settled(run_of(sender.post(contract_end(uid))), "succeeded")

    assert scim.user(uid)["active"] is False  # type: ignore[index]
    assert ldap_state(slapd, dn)[0] is True
    wait_until(
        lambda: f"{uid}'s contract ended on 2026-12-31" in inbox.subjects("raj.patel@acme.example"),
        10,
        "the sponsor's email",
    )
    assert [key for key, _ in steps(run)][-1] == "tell_sponsor"
    assert Run.objects.count() == 1  # the employee's event started nothing
    assert scim.user(employee)["active"] is True  # type: ignore[index]
    assert ldap_state(slapd, employee_dn)[0] is False
