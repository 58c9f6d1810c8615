"""A new, empty workflow (its first draft comes from the builder, an import or the admin)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from audit.services import record
from workflows.access import WORKFLOWS
from workflows.models import Workflow


class WorkflowExists(Exception):
    """The slug is taken (the message names it)."""


def workflow_create(*, slug: str, name: str, description: str = "", actor: Any) -> Workflow:
    WORKFLOWS.require_person(actor, "add")
    owner = actor if getattr(actor, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            workflow = Workflow.objects.create(
                slug=slug, name=name, description=description, owner=owner
            )
            if owner is not None:  # the creator may work on what they made
                WORKFLOWS.grant_creator(owner, workflow)
            record(
                action="workflow.created",
                actor=actor,
                target=workflow,
                workflow_id=workflow.pk,
                details={"slug": slug},
            )
    except IntegrityError:
        raise WorkflowExists(f"a workflow with slug {slug!r} exists already") from None
    return workflow
