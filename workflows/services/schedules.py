"""Scheduled triggers: keeping each schedule's next instant in step with its published trigger, and
the sweep that fires due instants, each exactly once however many clusters sweep.

The sweep claims a due schedule with SELECT ... FOR UPDATE SKIP LOCKED, re-checks it under the
lock, starts one run per owed instant and moves `next_fire_at` on, all in one transaction; the
unique (schedule, instant) key of ScheduleFire is the last guard. After downtime an instant
within the trigger's lateness limit still fires (late, its lateness recorded); older ones become
one parked execution saying they were too late, so they show in the review queue.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import batch as audit_batch
from audit.services import record
from workflows.engine.schedule import Owed, Schedule
from workflows.models import Execution, Run, Workflow, WorkflowVersion
from workflows.models_triggers import ScheduleFire, TriggerSchedule
from workflows.services.runs import run_start
from workflows.status import ExecutionState, RunState, TriggerKind

logger = logging.getLogger(__name__)
BATCH = 100
MAX_FIRES_PER_SWEEP = 100  # per schedule; the rest are picked up by the next sweep
DEFAULT_MAX_LATENESS_MINUTES = 60
SWEEP_TASK = "workflows.fire_due_schedules"
TIMING_FIELDS = ("cron", "timezone", "start_date", "end_date", "calendar")


def schedule_sync(*, workflow: Workflow, config: dict[str, Any], now: datetime) -> TriggerSchedule:
    """Adopt a newly published schedule trigger. The next instant is kept when the timing is
    unchanged (a re-publish neither skips nor repeats one), and recomputed from now if not."""
    spec = Schedule.from_config(config)
    timing = {name: config.get(name) for name in TIMING_FIELDS}
    fingerprint = hashlib.sha256(json.dumps(timing, sort_keys=True).encode()).hexdigest()
    schedule, created = TriggerSchedule.objects.select_for_update().get_or_create(
        workflow=workflow, defaults={"fingerprint": fingerprint}
    )
    if created or not schedule.active or schedule.fingerprint != fingerprint:
        schedule.next_fire_at = spec.next_after(now)
    schedule.config, schedule.fingerprint, schedule.active = config, fingerprint, True
    schedule.cron, schedule.timezone = spec.cron, spec.zone.key
    minutes = config.get("max_lateness_minutes") or DEFAULT_MAX_LATENESS_MINUTES
    schedule.max_lateness_seconds = int(minutes) * 60
    schedule.save()
    return schedule


def schedules_fire_due(*, now: datetime | None = None) -> int:
    """Fire every due schedule's owed instants; returns how many runs it stored (parked ones too).
    A schedule that cannot be fired is logged and skipped; the others still fire."""
    now = now or timezone.now()
    due = TriggerSchedule.objects.filter(active=True, paused_at=None, next_fire_at__lte=now)
    handled = 0
    for pk in list(due.order_by("next_fire_at").values_list("pk", flat=True)[:BATCH]):
        try:
            handled += _fire(pk, now)
        except Exception:
            logger.exception("could not fire schedule %s; skipping it", pk)
    return handled


def _fire(pk: int, now: datetime) -> int:
    with transaction.atomic():
        schedule = (
            TriggerSchedule.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("workflow")
            .filter(pk=pk, active=True, paused_at=None, next_fire_at__lte=now)
            .first()
        )
        if schedule is None:
            return 0  # another sweep holds it or has just fired it
        spec = Schedule.from_config(schedule.config)
        workflow = schedule.workflow
        version = workflow.published_version
        if version is None:  # retired without a successor: nothing to run any more
            schedule.active, schedule.next_fire_at = False, None
            schedule.save(update_fields=["active", "next_fire_at", "updated_at"])
            logger.info("schedule of %s stopped: nothing is published", workflow.slug)
            return 0
        # Instants of a disabled workflow, or of one in the recycle bin, are skipped, not owed.
        if not workflow.enabled or workflow.deleted_at is not None:
            schedule.next_fire_at = spec.next_after(now)
            schedule.save(update_fields=["next_fire_at", "updated_at"])
            return 0
        assert schedule.next_fire_at is not None  # noqa: S101 - filtered on above
        limit = timedelta(seconds=schedule.max_lateness_seconds)
        owed = spec.owed(schedule.next_fire_at, now, limit, MAX_FIRES_PER_SWEEP)
        handled = 0
        with audit_batch():
            if owed.missed:
                handled += _park_too_late(schedule, spec, version, owed, now)
            for instant in owed.fire:
                handled += _start(schedule, spec, version, instant, now)
        schedule.next_fire_at = spec.next_after(owed.accounted_until)
        schedule.last_fired_at, schedule.last_scheduled_for = now, owed.accounted_until
        schedule.save(
            update_fields=["next_fire_at", "last_fired_at", "last_scheduled_for", "updated_at"]
        )
    return handled


def _event(spec: Schedule, instant: datetime, now: datetime) -> dict[str, Any]:
    return {
        "scheduled_for": _iso(instant),
        "scheduled_local": spec.local(instant).isoformat(),
        "timezone": spec.zone.key,
        "fired_at": _iso(now),
        "lateness_seconds": _seconds(now - instant),
    }


def _start(
    schedule: TriggerSchedule,
    spec: Schedule,
    version: WorkflowVersion,
    instant: datetime,
    now: datetime,
) -> int:
    try:
        with transaction.atomic():
            run = run_start(
                workflow=schedule.workflow,
                trigger_kind=TriggerKind.SCHEDULE,
                input=_event(spec, instant, now),
                trigger_ref=f"schedule:{_iso(instant)}",
                version=version,
            )
            ScheduleFire.objects.create(
                schedule=schedule,
                scheduled_for=instant,
                fired_at=now,
                lateness_seconds=_seconds(now - instant),
                run=run,
            )
    except IntegrityError:
        logger.warning("schedule %s already fired for %s; not again", schedule.pk, instant)
        return 0
    return 1


def _park_too_late(
    schedule: TriggerSchedule, spec: Schedule, version: WorkflowVersion, owed: Owed, now: datetime
) -> int:
    """One parked execution for all the instants too late to run, naming the latest of them."""
    instant = owed.last_missed
    assert instant is not None and owed.first_missed is not None  # noqa: S101 - owed.missed > 0
    lateness = now - instant
    local = spec.local(instant)
    reason = (
        f"too late: scheduled for {local:%Y-%m-%d %H:%M} {spec.zone.key} "
        f"({instant:%H:%M} UTC), reached {_span(lateness)} late; this trigger's limit is "
        f"{_span(timedelta(seconds=schedule.max_lateness_seconds))}."
    )
    if owed.missed > 1:
        reason += (
            f" {owed.missed} instants from {owed.first_missed:%Y-%m-%d %H:%M} UTC on were missed."
        )
    reason += " Not run: re-trigger it if it is still wanted."
    event = _event(spec, instant, now)
    try:
        with transaction.atomic():
            run = Run.objects.create(
                workflow=schedule.workflow,
                version=version,
                trigger_kind=TriggerKind.SCHEDULE,
                trigger_ref=f"schedule:{_iso(instant)}",
                input=event,
                context={"event": event},
                state=RunState.FAILED,
                finished_at=now,
            )
            execution = Execution.objects.create(
                run=run, state=ExecutionState.PARKED, finished_at=now, failure_reason=reason
            )
            ScheduleFire.objects.create(
                schedule=schedule,
                scheduled_for=instant,
                fired_at=now,
                lateness_seconds=_seconds(lateness),
                too_late=True,
                missed=owed.missed,
                run=run,
            )
    except IntegrityError:
        logger.warning("schedule %s already handled %s; not again", schedule.pk, instant)
        return 0
    record(
        action="execution.parked",
        actor_label="scheduler",
        target=execution,
        workflow_id=run.workflow_id,
        run_id=run.pk,
        execution_id=execution.pk,
        details={"reason": reason, "missed": owed.missed, "scheduled_for": _iso(instant)},
    )
    return 1


def schedule_upcoming(
    schedule: TriggerSchedule, *, now: datetime, count: int = 5
) -> list[tuple[datetime, datetime]]:
    """The next `count` fire instants as (local, UTC) pairs, for the console."""
    spec = Schedule.from_config(schedule.config)
    first = schedule.next_fire_at if schedule.active else None
    instants = [first] if first else []
    after = first or now
    instants += spec.upcoming(after, count - len(instants))
    return [(spec.local(instant), instant) for instant in instants]


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


def _span(delta: timedelta) -> str:
    minutes = _seconds(delta) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def ensure_sweep_schedule() -> bool:
    """The one-minute django-q2 schedule that calls the sweep (also made by migration 0003);
    idempotent, by name. True when it had to be created."""
    from django_q.models import Schedule as QSchedule

    _, created = QSchedule.objects.update_or_create(
        name=SWEEP_TASK,
        defaults={
            "func": "workflows.tasks.fire_due_schedules",
            "schedule_type": QSchedule.MINUTES,
            "minutes": 1,
            "repeats": -1,
        },
    )
    return bool(created)
