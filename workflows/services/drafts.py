"""The builder's draft: opened (created on first use), checked, and tried without side effects.

Every workflow the builder opens has a draft to edit, so a workflow made with *Add workflow*
can be drawn at once; saving and publishing stay in `versions` (shared rules and audit).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.db import transaction

from idconfluence.conf import idc_settings
from workflows import documents
from workflows.engine.graph import Issue
from workflows.models import Run, Workflow, WorkflowVersion
from workflows.services.executions import execution_run
from workflows.services.runs import run_start
from workflows.services.versions import (
    draft_from_version,
    draft_issues,
    draft_save,
    first_draft_document,
)
from workflows.status import LIVE_EXECUTION_STATES, TriggerKind, VersionState

_EDGE_MESSAGE = re.compile(r"(?:has no outcome|outcome) '([^']*)'(?: is wired twice)?$")
_PATH = re.compile(r"^(blocks|edges)/(\d+)\b")


def draft_open(*, workflow: Workflow, actor: Any) -> WorkflowVersion:
    """The workflow's draft; made on first use from the published version, else trigger-only.

    The workflow row is locked first, so two editors opening a new workflow at once get the
    same draft (the second waits and finds the first's)."""
    with transaction.atomic():
        Workflow.objects.select_for_update().filter(pk=workflow.pk).first()
        draft = workflow.versions.filter(state=VersionState.DRAFT).first()
        if draft is not None:
            return draft
        published = workflow.published_version
        if published is not None:
            return draft_from_version(version=published, actor=actor)
        return draft_save(workflow=workflow, document=first_draft_document(workflow), actor=actor)


@dataclass(frozen=True)
class Problem:
    """One issue placed where the builder shows it: on a block, on an edge, or on the graph."""

    message: str
    block: str | None = None
    edge: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "block": self.block, "edge": self.edge}


def placed_issues(issues: list[Issue], document: dict[str, Any]) -> list[Problem]:
    """Engine issues tied to an edge when they name a wired outcome of their block."""
    edges = {(e["from"], e["outcome"]): e for e in document.get("edges", [])}
    placed = []
    for issue in issues:
        match = _EDGE_MESSAGE.search(issue.message) if issue.block else None
        edge = edges.get((issue.block or "", match.group(1))) if match else None
        placed.append(
            Problem(
                issue.message,
                block=issue.block,
                edge={"from": edge["from"], "outcome": edge["outcome"], "to": edge["to"]}
                if edge
                else None,
            )
        )
    return placed


def placed_document_errors(errors: list[str], document: Any) -> list[Problem]:
    """Schema errors ("blocks/3/config: ...") tied to the block or edge at that index."""
    blocks = document.get("blocks") if isinstance(document, dict) else None
    edges = document.get("edges") if isinstance(document, dict) else None
    placed = []
    for message in errors:
        match = _PATH.match(message)
        block = edge = None
        if match:
            index = int(match.group(2))
            items = blocks if match.group(1) == "blocks" else edges
            item = items[index] if isinstance(items, list) and index < len(items) else None
            if isinstance(item, dict) and match.group(1) == "blocks":
                block = item.get("key") if isinstance(item.get("key"), str) else None
            elif isinstance(item, dict):
                edge = {k: str(item.get(k, "")) for k in ("from", "outcome", "to")}
        placed.append(Problem(message, block=block, edge=edge))
    return placed


def draft_problems(draft: WorkflowVersion) -> list[Problem]:
    return placed_issues(draft_issues(draft), documents.version_document(draft))


@dataclass
class DryRunResult:
    run: Run
    state: str
    path: list[str] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""


def draft_dry_run(*, draft: WorkflowVersion, event: dict[str, Any], actor: Any) -> DryRunResult:
    """Walk the draft as a dry run on `event` now, in this request: connectors only read and
    say what they would change. Runs on the draft even if unpublished (that is the point of
    trying it); the run is stored and marked dry like any other, so it stays auditable."""
    run = run_start(
        workflow=draft.workflow,
        trigger_kind=TriggerKind.MANUAL,
        input=event,
        actor=actor,
        dry_run=True,
        version=draft,
    )
    execution = run.executions.get()
    if execution_run(execution_id=execution.pk) == "skipped":  # a worker claimed it first
        _wait_for(execution.pk)
    execution.refresh_from_db()
    run.refresh_from_db()
    steps = list(execution.steps.order_by("seq"))
    path = [step.block_key for step in steps]
    edges = [
        {"from": a.block_key, "outcome": a.outcome, "to": b.block_key} for a, b in pairwise(steps)
    ]
    return DryRunResult(
        run=run,
        state=execution.state,
        path=path,
        edges=edges,
        steps=[
            {
                "block": step.block_key,
                "kind": step.block_kind,
                "type": step.block_type,
                "state": step.state,
                "outcome": step.outcome,
                "would": _would(step.output)
                if step.block_kind in ("action", "integration")
                else "",
                "output": step.output,
                "error": step.error,
            }
            for step in steps
        ],
        reason=execution.failure_reason,
    )


def _would(output: Any) -> str:
    """The connector's own sentence for a planned call ("would grant group X for Y")."""
    result = output.get("result") if isinstance(output, dict) else None
    source = result if isinstance(result, dict) else output
    message = source.get("message") if isinstance(source, dict) else None
    return str(message) if message else ""


def _wait_for(execution_id: int) -> None:
    from workflows.models import Execution

    limit = time.monotonic() + float(idc_settings.EXECUTION_WINDOW_SECONDS) + 5
    while time.monotonic() < limit:
        state = Execution.objects.filter(pk=execution_id).values_list("state", flat=True).first()
        if state not in LIVE_EXECUTION_STATES:
            return
        time.sleep(0.1)
