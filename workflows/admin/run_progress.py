"""What a run and an execution page tell at a glance: a dry run says it is one, each action step
reads as a sentence ("would grant group Finance-Analysts for jane.doe"), a step's outcome is the
connector's (would change / changed / already so), not the edge it took, and a page whose
execution is still queued or running reloads itself until it is not."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join

from workflows.models import Execution, Run, Step
from workflows.status import ExecutionState

REFRESH_SECONDS = 2
IN_PROGRESS = (ExecutionState.QUEUED, ExecutionState.RUNNING)
RESULTS = {
    "would_change": "would change",
    "changed": "changed",
    "already": "already so (nothing to change)",
    "failed_retryable": "failed (may succeed on retry)",
    "failed_permanent": "failed",
    "unknown": "unknown (may have been applied)",
}


def step_result(step: Step) -> str:
    """The connector's answer for a call step; the logic outcome (true, a case...) otherwise."""
    output = step.output if isinstance(step.output, dict) else {}
    answer = output.get("outcome") if step.block_kind in {"action", "integration"} else None
    if isinstance(answer, str):
        return RESULTS.get(answer, answer)
    return step.outcome or "—"


def action_sentences(steps: list[Step]) -> list[tuple[str, str]]:
    """(block, sentence) for each step that called a connector, in the order walked."""
    sentences = []
    for step in steps:
        output = step.output if isinstance(step.output, dict) else {}
        message = output.get("message")
        if step.block_kind in {"action", "integration"} and isinstance(message, str) and message:
            sentences.append((step.block_key, message))
    return sentences


def _sentence_list(sentences: list[tuple[str, str]], empty: str) -> str:
    if not sentences:
        return empty
    items = format_html_join("", "<li><code>{}</code>: {}</li>", sentences)
    return format_html('<ul class="idc-actions">{}</ul>', items)


class StepResult:
    """For step inlines and lists: the real outcome column."""

    @admin.display(description="Outcome")
    def result(self, obj: Step) -> str:
        return step_result(obj)

    @admin.display(description="Edge taken")
    def edge_taken(self, obj: Step) -> str:
        return obj.outcome or "—"


class RunProgress:
    """Mixed into the run and execution admins."""

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        obj = kwargs.get("obj")
        if obj is not None:
            run = obj if isinstance(obj, Run) else obj.run
            context = {**context, "is_dry_run": run.dry_run, "refresh_seconds": _refresh(obj)}
        render = super().render_change_form  # type: ignore[misc]
        return render(request, context, *args, **kwargs)  # type: ignore[no-any-return]

    @admin.display(description="What the actions did")
    def what_it_did(self, obj: Run | Execution) -> str:
        run = obj if isinstance(obj, Run) else obj.run
        steps = Step.objects.filter(execution__run=run).order_by("execution__number", "seq")
        if isinstance(obj, Execution):
            steps = steps.filter(execution=obj)
        empty = "No action has run yet." if not run.dry_run else "No action would run yet."
        return _sentence_list(action_sentences(list(steps)), empty)


def _refresh(obj: Run | Execution) -> int:
    if isinstance(obj, Execution):
        return REFRESH_SECONDS if obj.state in IN_PROGRESS else 0
    live = obj.executions.filter(state__in=IN_PROGRESS).exists()
    return REFRESH_SECONDS if live else 0
