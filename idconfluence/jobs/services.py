"""Start a job, run one of its items, re-send what the broker lost, read the progress.

One django-q2 task per item, so ten slow connector tests run side by side on the cluster's
workers instead of one after another inside a request. A lost message loses nothing: items are
rows, the task is idempotent (an item is claimed once), and the watchdog re-sends stale ones.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task

from audit import services as audit_services
from idconfluence.conf import idc_settings
from idconfluence.jobs import registry
from idconfluence.jobs.models import AdminJob, AdminJobItem
from idconfluence.jobs.registry import ItemRefused, JobKind
from idconfluence.jobs.status import OPEN_ITEM_STATES, ItemState

logger = logging.getLogger(__name__)
TASK = "idconfluence.jobs.tasks.run_item"
MESSAGE_CHARS = 2000


@dataclass(frozen=True)
class Progress:
    done: int
    failed: int
    remaining: int

    @property
    def total(self) -> int:
        return self.done + self.failed + self.remaining


def job_start(*, kind: str, objects: Iterable[tuple[Any, str]], actor: Any) -> AdminJob:
    """One job with an item per (object id, label), audited; its tasks are sent after commit."""
    job_kind = registry.get(kind)
    rows = list(objects)
    with transaction.atomic():
        job = AdminJob.objects.create(
            kind=kind, title=f"{job_kind.verb}: {len(rows)} selected", created_by=actor
        )
        items = AdminJobItem.objects.bulk_create(
            AdminJobItem(job=job, seq=seq, object_id=str(pk), label=label[:200])
            for seq, (pk, label) in enumerate(rows, start=1)
        )
        audit_services.record(
            action="job.started",
            actor=actor,
            target=job,
            details={"kind": kind, "items": len(items), "objects": [i.object_id for i in items]},
        )
        ids = [item.pk for item in items]
        transaction.on_commit(lambda: _send(ids))
    return job


def job_item_run(*, item_id: int) -> str:
    """Run one item once: `done` or `failed` with the service's own message, never a crash."""
    item = AdminJobItem.objects.select_related("job", "job__created_by").filter(pk=item_id).first()
    if item is None:
        return "gone"
    kind = registry.get(item.job.kind)
    state = _run_atomic(item, kind) if kind.atomic else _run_outside(item, kind)
    _close_job_if_finished(item.job_id)
    return state


def job_progress(job: AdminJob) -> Progress:
    counts = job.items.aggregate(
        done=Count("pk", filter=Q(state=ItemState.DONE)),
        failed=Count("pk", filter=Q(state=ItemState.FAILED)),
        remaining=Count("pk", filter=Q(state__in=OPEN_ITEM_STATES)),
    )
    return Progress(**counts)


def sweep_stalled_items() -> int:
    """Re-send items nobody finished: pending ones whose message was lost (a broker outage, a
    cluster stopped before it took them) and running ones whose worker died. Idempotent."""
    cutoff = timezone.now() - timedelta(seconds=stale_after_seconds())
    stalled = list(
        AdminJobItem.objects.filter(state__in=OPEN_ITEM_STATES, sent_at__lt=cutoff)
        .order_by("sent_at")
        .values_list("pk", flat=True)[:500]
    )
    if stalled:
        _send(stalled)
    return len(stalled)


def stale_after_seconds() -> float:
    """Past django-q2's own retry (2 windows + 40 s): a live worker has given up by then."""
    return 2 * float(idc_settings.EXECUTION_WINDOW_SECONDS) + 60


def _run_atomic(item: AdminJobItem, kind: JobKind) -> str:
    with transaction.atomic():
        locked = (
            AdminJobItem.objects.select_for_update(skip_locked=True)
            .filter(pk=item.pk, state__in=OPEN_ITEM_STATES)
            .first()
        )
        if locked is None:
            return "skipped"  # finished already, or another worker has it right now
        state, message = _attempt(item, kind, savepoint=True)
        AdminJobItem.objects.filter(pk=item.pk).update(
            state=state,
            message=message,
            attempts=F("attempts") + 1,
            started_at=Now(),
            finished_at=Now(),
        )
    return state


def _run_outside(item: AdminJobItem, kind: JobKind) -> str:
    cutoff = timezone.now() - timedelta(seconds=stale_after_seconds())
    claimed = (
        AdminJobItem.objects.filter(pk=item.pk)
        .filter(Q(state=ItemState.PENDING) | Q(state=ItemState.RUNNING, started_at__lt=cutoff))
        .update(state=ItemState.RUNNING, started_at=Now(), attempts=F("attempts") + 1)
    )
    if not claimed:
        return "skipped"
    state, message = _attempt(item, kind, savepoint=False)
    AdminJobItem.objects.filter(pk=item.pk, state=ItemState.RUNNING).update(
        state=state, message=message, finished_at=Now()
    )
    return state


def _attempt(item: AdminJobItem, kind: JobKind, *, savepoint: bool) -> tuple[str, str]:
    actor = item.job.created_by
    # A kind without a permission leaves the check to its service, which asks the object's
    # rules (object permissions included) with the same actor.
    if (
        actor is None
        or not actor.is_active
        or (kind.permission and not actor.has_perm(kind.permission))
    ):
        return ItemState.FAILED, f"refused: the person who started this job may not {kind.verb}"
    try:
        if savepoint:  # a refusal rolls back whatever the handler wrote before it refused
            with transaction.atomic():
                message = kind.handle(item.object_id, actor)
        else:
            message = kind.handle(item.object_id, actor)
    except ItemRefused as exc:
        return ItemState.FAILED, str(exc)[:MESSAGE_CHARS]
    except PermissionDenied:  # the service's own rule (object permissions included) refused
        return ItemState.FAILED, f"refused: the person who started this job may not {kind.verb}"
    except Exception as exc:  # a bug must show on the page and in the log, not kill the worker
        logger.exception("job %s item %s (%s) failed", item.job_id, item.pk, kind.name)
        return ItemState.FAILED, f"internal error ({type(exc).__name__}); see the worker log"
    return ItemState.DONE, message[:MESSAGE_CHARS]


def _close_job_if_finished(job_id: int) -> None:
    open_items = AdminJobItem.objects.filter(job_id=job_id, state__in=OPEN_ITEM_STATES)
    AdminJob.objects.filter(pk=job_id, finished_at__isnull=True).exclude(
        pk__in=open_items.values("job_id")
    ).update(finished_at=Now())


def _send(item_ids: list[int]) -> None:
    """Hand the items to the broker; one that fails stays for `sweep_stalled_items`."""
    sent: list[int] = []
    try:
        broker: Broker = get_broker()
        for item_id in item_ids:
            async_task(TASK, item_id, broker=broker, task_name=f"job-item-{item_id}")
            sent.append(item_id)
    except Exception as exc:
        logger.warning(
            "could not send %d job items (%s); the watchdog will re-send them",
            len(item_ids) - len(sent),
            type(exc).__name__,
        )
    if sent:
        AdminJobItem.objects.filter(pk__in=sent).update(sent_at=Now())
