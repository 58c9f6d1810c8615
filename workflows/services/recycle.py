"""The recycle bin: deleting a workflow only marks it (`deleted_at`), so its runs, versions and
audit events stay as evidence, and restoring brings everything back as it was. A workflow in
the bin fires no trigger: schedules skip it, its webhook address answers as unknown, and
`run_start` refuses it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import record
from workflows.models import Workflow


class NotInRecycleBin(Exception):
    """Restore of a workflow that is not deleted (or delete of one that already is)."""


def workflow_delete(*, workflow: Workflow, actor: Any) -> Workflow:
    """Move the workflow to the recycle bin (audited)."""
    with transaction.atomic():
        locked = Workflow.objects.select_for_update().get(pk=workflow.pk)
        if locked.deleted_at is not None:
            raise NotInRecycleBin(f"{locked.slug} is already in the recycle bin")
        locked.deleted_at = timezone.now()
        locked.save(update_fields=["deleted_at", "updated_at"])
        record(
            action="workflow.deleted",
            actor=actor,
            target=locked,
            workflow_id=locked.pk,
            details={"slug": locked.slug},
        )
    return locked


def workflow_restore(*, workflow: Workflow, actor: Any) -> Workflow:
    """Bring the workflow back from the recycle bin, with its versions and triggers."""
    with transaction.atomic():
        locked = Workflow.objects.select_for_update().get(pk=workflow.pk)
        if locked.deleted_at is None:
            raise NotInRecycleBin(f"{locked.slug} is not in the recycle bin")
        deleted_at = locked.deleted_at
        locked.deleted_at = None
        locked.save(update_fields=["deleted_at", "updated_at"])
        record(
            action="workflow.restored",
            actor=actor,
            target=locked,
            workflow_id=locked.pk,
            details={"slug": locked.slug, "deleted_at": deleted_at.isoformat()},
        )
    return locked
