"""An operator's hands on a schedule: pause (nothing fires, and the instants passed while paused
are skipped, not owed), resume (from the next instant after now), fire now (one run, outside the
schedule, its event saying so), and the preview of a config's next fire times. Each is atomic
and audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import record
from workflows.engine.schedule import Schedule
from workflows.models import Run
from workflows.models_triggers import TriggerSchedule
from workflows.services.runs import NotRunnable, run_start
from workflows.status import TriggerKind


class ScheduleRefused(Exception):
    """The schedule cannot do that now; the message says why."""


def schedule_preview(
    config: dict[str, Any], *, now: datetime, count: int = 5
) -> list[tuple[datetime, datetime]]:
    """The next `count` fire instants of a (not yet saved) config, as (local, UTC) pairs; raises
    workflows.engine.schedule.ScheduleError saying what is wrong with the config."""
    spec = Schedule.from_config(config)
    return [(spec.local(instant), instant) for instant in spec.upcoming(now, count)]


def _locked(schedule: TriggerSchedule) -> TriggerSchedule:
    return (
        TriggerSchedule.objects.select_for_update().select_related("workflow").get(pk=schedule.pk)
    )


def _audit(action: str, schedule: TriggerSchedule, actor: Any, **details: Any) -> None:
    record(
        action=action,
        actor=actor,
        target=schedule,
        workflow_id=schedule.workflow_id,
        details=details,
    )


def schedule_pause(*, schedule: TriggerSchedule, actor: Any) -> TriggerSchedule:
    with transaction.atomic():
        schedule = _locked(schedule)
        if schedule.paused_at is not None:
            raise ScheduleRefused(f"{schedule.workflow.slug}: already paused")
        schedule.paused_at = timezone.now()
        schedule.save(update_fields=["paused_at", "updated_at"])
        _audit("schedule.paused", schedule, actor)
    return schedule


def schedule_resume(*, schedule: TriggerSchedule, actor: Any) -> TriggerSchedule:
    with transaction.atomic():
        schedule = _locked(schedule)
        if schedule.paused_at is None:
            raise ScheduleRefused(f"{schedule.workflow.slug}: not paused")
        now = timezone.now()
        schedule.paused_at = None
        schedule.next_fire_at = Schedule.from_config(schedule.config).next_after(now)
        schedule.save(update_fields=["paused_at", "next_fire_at", "updated_at"])
        _audit("schedule.resumed", schedule, actor, next_fire_at=_iso(schedule.next_fire_at))
    return schedule


def schedule_fire_now(*, schedule: TriggerSchedule, actor: Any) -> Run:
    """One run now, as the schedule would start it; the schedule's own instants are unchanged."""
    if not schedule.active:
        raise ScheduleRefused(f"{schedule.workflow.slug}: its published trigger is not a schedule")
    spec = Schedule.from_config(schedule.config)
    now = timezone.now()
    event = {
        "scheduled_for": _iso(now),
        "scheduled_local": spec.local(now).isoformat(),
        "timezone": spec.zone.key,
        "fired_at": _iso(now),
        "lateness_seconds": 0,
        "fired_now": True,
    }
    with transaction.atomic():
        try:
            run = run_start(
                workflow=schedule.workflow,
                trigger_kind=TriggerKind.SCHEDULE,
                input=event,
                actor=actor,
                trigger_ref=f"fire-now:{_iso(now)}",
            )
        except NotRunnable as exc:
            raise ScheduleRefused(str(exc)) from None
        _audit("schedule.fired_now", schedule, actor, run=run.pk)
    return run


def _iso(instant: datetime | None) -> str | None:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z") if instant else None
