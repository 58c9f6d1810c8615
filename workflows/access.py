"""Who may view, change, publish and run a workflow: the one rule every entry point asks."""

from idconfluence.access import Rules
from workflows.models import Workflow

WORKFLOWS: Rules[Workflow] = Rules(
    Workflow,
    {
        "view": "workflows.view_workflow",
        "change": "workflows.change_workflow",
        "publish": "workflows.publish_workflow",
        "run": "workflows.run_workflow",
    },
)
