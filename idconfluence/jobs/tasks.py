"""django-q2 entry point: thin, an id in, the service does the work."""

from __future__ import annotations

from idconfluence.jobs.services import job_item_run


def run_item(item_id: int) -> str:
    return job_item_run(item_id=item_id)
