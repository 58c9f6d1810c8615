"""Who may view, change, publish and run a workflow, and operate its runs: the one rule every
entry point asks. Runs, executions and steps have no grants of their own: they are visible to
whoever may view their workflow, and operated (retry, re-trigger, cancel) by whoever holds
`operate_execution` or may run their workflow."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from idconfluence.access import Denied, Rules, is_person
from workflows.models import Execution, Workflow

WORKFLOWS: Rules[Workflow] = Rules(
    Workflow,
    {
        "add": "workflows.add_workflow",
        "view": "workflows.view_workflow",
        "change": "workflows.change_workflow",
        "publish": "workflows.publish_workflow",
        "run": "workflows.run_workflow",
    },
    owner_actions=("view", "change", "publish", "run"),
)

EXECUTIONS: Rules[Execution] = Rules(
    Execution,
    {"view": "workflows.view_execution", "operate": "workflows.operate_execution"},
)


def can_operate(user: Any, workflow: Workflow) -> bool:
    return EXECUTIONS.can(user, "operate") or WORKFLOWS.can(user, "run", workflow)


def can_operate_any(user: Any) -> bool:
    return EXECUTIONS.can(user, "operate") or WORKFLOWS.can_any(user, "run")


def require_operate(actor: Any, workflow: Workflow) -> None:
    """Retry, re-trigger, mark handled, cancel: refused unless the person may operate runs."""
    if is_person(actor) and not can_operate(actor, workflow):
        raise Denied(f"You may not operate runs of workflow {workflow}.")


def may_view_all(user: Any, model: type[Model]) -> bool:
    """A global view permission on the row's own model (or on workflows) covers every row."""
    opts = model._meta
    rows = Rules(model, {"view": f"{opts.app_label}.view_{opts.model_name}"})
    return WORKFLOWS.can(user, "view") or rows.can(user, "view")


def visible_through_workflow(user: Any, queryset: QuerySet[Any], path: str) -> QuerySet[Any]:
    """Rows of a workflow's history (runs, executions, steps, triggers) the user may see: all
    with a global view permission, else those whose workflow (reached by `path`, e.g.
    "run__workflow") they may view."""
    if not (user and user.is_active):
        return queryset.none()
    if may_view_all(user, queryset.model):
        return queryset
    return queryset.filter(**{f"{path}__in": WORKFLOWS.visible(user, "view")})
