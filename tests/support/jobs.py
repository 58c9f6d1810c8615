"""Run a background job's items in this process, as a worker would (for tests of the pieces;
tests/jobs runs them on a real qcluster)."""

from __future__ import annotations

from idconfluence.jobs.models import AdminJobItem
from idconfluence.jobs.services import job_item_run
from idconfluence.jobs.status import OPEN_ITEM_STATES


def run_open_items() -> list[str]:
    ids = AdminJobItem.objects.filter(state__in=OPEN_ITEM_STATES).values_list("pk", flat=True)
    return [job_item_run(item_id=pk) for pk in list(ids)]
