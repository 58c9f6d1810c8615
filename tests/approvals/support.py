"""The workflow under test and small helpers shared by the approvals tests."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from approvals.models import ApprovalTask
from tests.support.documents import block, document, edge
from tests.support.factories import perform, published
from workflows.models import Run
from workflows.services.runs import run_start

LINK = re.compile(r"/a/([A-Za-z0-9_\-]{40,})")
GRANT = {
    "user": "jo@acme.example",
    "group": "Finance-Analysts",
    "manager": "raj@acme.example",
}


def grant_with_approval(slug: str = "grant", **config: Any) -> dict[str, Any]:
    """Manual trigger -> approval by the manager -> one `set` per outcome."""
    ask = {
        "assignee": "=event.manager",
        "title": "Grant {{ event.group }} to {{ event.user }}?",
        "instructions": "{{ event.user }} asked for {{ event.group }}.",
        **config,
    }
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block("ask", "human_input", "approval", **ask),
            block("granted", "logic", "set", values={"granted": True}),
            block("refused", "logic", "set", values={"granted": False}),
            block("late", "logic", "set", values={"flagged_for_review": True}),
        ],
        [
            edge("start", "ask"),
            edge("ask", "granted", "approved"),
            edge("ask", "refused", "rejected"),
            edge("ask", "late", "timeout"),
        ],
    )


def waiting_run(event: dict[str, Any] | None = None, **config: Any) -> tuple[Run, ApprovalTask]:
    """A run of the workflow performed up to the block: waiting, with its task open."""
    version = published(grant_with_approval(**config))
    run = run_start(workflow=version.workflow, input=event or GRANT)
    assert perform(run).state == "waiting"
    return run, ApprovalTask.objects.get(run=run)


def links_in(messages: list[Any]) -> list[str]:
    return [m for msg in messages for m in LINK.findall(getattr(msg, "body", str(msg)))]


def sent_links() -> list[str]:
    return links_in(mail.outbox)
