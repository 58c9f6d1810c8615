"""The schedule sweep against the database: a due instant fires exactly once; after downtime it
fires late with its lateness recorded, or, past the trigger's limit, parks a too-late execution
in the review queue; publishing keeps or recomputes the next instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.support.factories import published
from tests.triggers.conftest import concurrently, market_close, triggered
from workflows.models import ParkedExecution, Run, Workflow
from workflows.models_triggers import ScheduleFire, TriggerSchedule
from workflows.services.schedules import schedules_fire_due

pytestmark = pytest.mark.django_db

TUESDAY_CLOSE = datetime(2026, 11, 24, 20, 30, tzinfo=UTC)  # 15:30 in New York (EST)
WEDNESDAY_CLOSE = TUESDAY_CLOSE + timedelta(days=1)


def publish_at(when: datetime, slug: str = "market-close", **config: object) -> TriggerSchedule:
    with time_machine.travel(when, tick=False):
        version = published(market_close(slug, **config))
    return TriggerSchedule.objects.get(workflow=version.workflow)


def sweep_at(when: datetime) -> int:
    with time_machine.travel(when, tick=False):
        return schedules_fire_due()


def test_publishing_sets_the_next_instant_and_the_sweep_fires_it_once() -> None:
    schedule = publish_at(datetime(2026, 11, 24, 19, 0, tzinfo=UTC))
    assert schedule.next_fire_at == TUESDAY_CLOSE
    assert sweep_at(TUESDAY_CLOSE - timedelta(seconds=1)) == 0
    assert sweep_at(TUESDAY_CLOSE + timedelta(seconds=20)) == 1
    assert sweep_at(TUESDAY_CLOSE + timedelta(seconds=50)) == 0
    fire = ScheduleFire.objects.get()
    assert (fire.scheduled_for, fire.lateness_seconds, fire.too_late) == (TUESDAY_CLOSE, 20, False)
    run = fire.run
    assert (run.trigger_kind, run.executions.get().state) == ("schedule", "queued")
    assert run.input["scheduled_for"] == "2026-11-24T20:30:00Z"
    assert run.input["scheduled_local"] == "2026-11-24T15:30:00-05:00"
    schedule.refresh_from_db()
    assert schedule.next_fire_at == WEDNESDAY_CLOSE
    assert schedule.last_fired_at == TUESDAY_CLOSE + timedelta(seconds=20)


def test_a_missed_instant_fires_once_late_with_its_lateness_recorded() -> None:
    publish_at(datetime(2026, 11, 24, 19, 0, tzinfo=UTC), max_lateness_minutes=120)
    back_up = TUESDAY_CLOSE + timedelta(minutes=45)  # the clusters were down at 15:30
    assert sweep_at(back_up) == 1
    assert sweep_at(back_up) == 0
    fire = ScheduleFire.objects.get()
    assert (fire.lateness_seconds, fire.too_late) == (45 * 60, False)
    assert fire.run.input["lateness_seconds"] == 45 * 60
    assert fire.run.executions.get().state == "queued"


def test_beyond_the_lateness_limit_the_instant_parks_saying_so() -> None:
    publish_at(datetime(2026, 11, 24, 19, 0, tzinfo=UTC), max_lateness_minutes=60)
    back_up = WEDNESDAY_CLOSE + timedelta(hours=3)  # missed Tuesday's and Wednesday's
    assert sweep_at(back_up) == 1
    parked = ParkedExecution.objects.get(state="parked")
    assert parked.failure_reason.startswith(
        "too late: scheduled for 2026-11-25 15:30 America/New_York (20:30 UTC), reached 3 h 0 min"
        " late; this trigger's limit is 1 h 0 min."
    )
    assert "2 instants from 2026-11-24 20:30 UTC on were missed" in parked.failure_reason
    assert parked.run.state == "failed"
    fire = ScheduleFire.objects.get()
    assert (fire.too_late, fire.missed, fire.scheduled_for) == (True, 2, WEDNESDAY_CLOSE)
    assert sweep_at(back_up) == 0
    # Thanksgiving (Thursday) is skipped; Friday's close is next.
    schedule = TriggerSchedule.objects.get()
    assert schedule.next_fire_at == datetime(2026, 11, 27, 20, 30, tzinfo=UTC)


def test_republishing_the_same_timing_keeps_the_next_instant_and_new_timing_recomputes() -> None:
    schedule = publish_at(datetime(2026, 11, 24, 19, 0, tzinfo=UTC))
    later = TUESDAY_CLOSE + timedelta(minutes=5)  # not swept yet: 15:30 is still owed
    with time_machine.travel(later, tick=False):
        published(market_close(max_lateness_minutes=30))
    schedule.refresh_from_db()
    assert schedule.next_fire_at == TUESDAY_CLOSE
    assert schedule.max_lateness_seconds == 30 * 60
    with time_machine.travel(later, tick=False):
        published(market_close(cron="0 16 * * 1-5"))
    schedule.refresh_from_db()
    assert schedule.next_fire_at == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)


def test_a_disabled_workflow_skips_its_instants_and_a_manual_trigger_stops_the_schedule() -> None:
    schedule = publish_at(datetime(2026, 11, 24, 19, 0, tzinfo=UTC))
    Workflow.objects.update(enabled=False)
    assert sweep_at(TUESDAY_CLOSE + timedelta(seconds=5)) == 0
    schedule.refresh_from_db()
    assert schedule.next_fire_at == WEDNESDAY_CLOSE
    assert not Run.objects.exists()
    Workflow.objects.update(enabled=True)
    published(triggered("market-close", "manual"))
    schedule.refresh_from_db()
    assert (schedule.active, schedule.next_fire_at) == (False, None)
    assert sweep_at(WEDNESDAY_CLOSE + timedelta(seconds=5)) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_fire_each_due_instant_exactly_once() -> None:
    for n in range(8):
        publish_at(datetime(2026, 11, 24, 19, 0, tzinfo=UTC), slug=f"market-close-{n}")
    now = TUESDAY_CLOSE + timedelta(seconds=30)
    results = concurrently(lambda: schedules_fire_due(now=now), 6)
    assert sum(results) == 8
    assert ScheduleFire.objects.count() == Run.objects.count() == 8
