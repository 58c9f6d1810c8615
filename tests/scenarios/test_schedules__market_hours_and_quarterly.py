"""Market-hours and quarterly-review templates, end to end, the clock moved to the days that
matter: published on the morning of Christmas Eve 2026 (an NYSE half day), the 9:30 open grants
the trader group the trading platform in a real slapd and the close revokes it at the 13:00 early
close, not 15:30; Christmas Day (a holiday) and the weekend fire nothing. The quarterly reminder
fires on 1 January and its email reaches the reviewers. Each instant is fired by the schedule
sweep given that moment; a real cluster runs what it starts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.connectors.servers import Slapd, SmtpServer
from tests.connectors.test_ldap__membership_and_accounts import members
from tests.scenarios.support import Inbox, install, ldap_connector, mail_connector, settled, steps
from tests.support.cluster import Process, wait_until
from tests.support.gunicorn import Gunicorn
from workflows.models import Run
from workflows.models_triggers import TriggerSchedule
from workflows.services.schedules import schedules_fire_due

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.servers,
    pytest.mark.django_db(transaction=True),
]
NY = ZoneInfo("America/New_York")
TRADERS = "cn=Equity-Traders,ou=groups,dc=example,dc=org"


def new_york(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def next_fire(slug: str) -> dt.datetime:
    schedule = TriggerSchedule.objects.get(workflow__slug=slug)
    assert schedule.next_fire_at is not None
    return schedule.next_fire_at.astimezone(NY)


def fire(at: dt.datetime) -> Run | None:
    """The sweep at `at`; the run it started, once the cluster finished it."""
    before = set(Run.objects.values_list("pk", flat=True))
    if not schedules_fire_due(now=at + dt.timedelta(seconds=5)):
        return None
    [run] = Run.objects.exclude(pk__in=before)
    return settled(run, "succeeded")


def test_trading_access_opens_at_930_and_closes_at_the_early_close_on_a_half_day(
    web: Gunicorn, cluster: Process, slapd: Slapd
) -> None:
    trader = slapd.add_user("equity.trader")
    slapd.add_group("Equity-Traders", [trader])
    platform = slapd.add_group("Trading-Platform", [slapd.add_user("platform.owner")])
    ldap_connector(slapd)
    with time_machine.travel(new_york(2026, 12, 24, 8, 0), tick=False):
        install("market-hours-open")
        install("market-hours-close")
    assert next_fire("market-hours-open") == new_york(2026, 12, 24, 9, 30)
    assert next_fire("market-hours-close") == new_york(2026, 12, 24, 13, 0)  # not 15:30

    opened = fire(new_york(2026, 12, 24, 9, 30))
    assert opened is not None and opened.workflow.slug == "market-hours-open"
    assert TRADERS in members(slapd, platform)
    assert next_fire("market-hours-open") == new_york(2026, 12, 28, 9, 30)  # 25th, weekend: shut

    assert fire(new_york(2026, 12, 24, 12, 59)) is None  # not yet the close
    closed = fire(new_york(2026, 12, 24, 13, 0))
    assert closed is not None and closed.workflow.slug == "market-hours-close"
    assert TRADERS not in members(slapd, platform)
    assert closed.input["scheduled_local"] == "2026-12-24T13:00:00-05:00"
    assert [key for key, _ in steps(closed)] == ["market_close", "desk", "platform_access"]
    assert next_fire("market-hours-close") == new_york(2026, 12, 28, 15, 30)

    assert fire(new_york(2026, 12, 25, 9, 30)) is None  # Christmas Day: the market is closed
    assert fire(new_york(2026, 12, 26, 9, 30)) is None
    assert Run.objects.count() == 2


def test_the_quarterly_reminder_reaches_the_reviewers_on_the_first_of_the_quarter(
    web: Gunicorn, cluster: Process, smtp_server: SmtpServer, inbox: Inbox
) -> None:
    mail_connector(smtp_server)
    with time_machine.travel(new_york(2026, 12, 31, 12, 0), tick=False):
        install("quarterly-access-review")
    assert next_fire("quarterly-access-review") == new_york(2027, 1, 1, 9, 0)
    run = fire(new_york(2027, 1, 1, 9, 0))
    assert run is not None
    wait_until(
        lambda: "The quarterly access review is open"
        in inbox.subjects("access-reviewers@acme.example"),
        10,
        "the reviewers' reminder",
    )
    assert next_fire("quarterly-access-review") == new_york(2027, 4, 1, 9, 0)
