"""`manage.py sync_triggers`: make sure the one-minute schedule sweep exists and every published
workflow's schedule and webhook endpoint follow its trigger. Safe to run on every deploy."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from workflows.models import WorkflowVersion
from workflows.services.schedules import ensure_sweep_schedule
from workflows.services.triggers import triggers_sync
from workflows.status import VersionState


class Command(BaseCommand):
    help = "Create the schedule sweep if missing and re-sync every published trigger."

    def handle(self, *args: Any, **options: Any) -> None:
        created = ensure_sweep_schedule()
        count = 0
        published = WorkflowVersion.objects.filter(state=VersionState.PUBLISHED)
        for version in published.select_related("workflow"):
            with transaction.atomic():
                triggers_sync(version=version)
            count += 1
        made = "created" if created else "present"
        self.stdout.write(f"schedule sweep {made}; {count} published triggers synced")
