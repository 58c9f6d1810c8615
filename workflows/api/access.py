"""The two rules the API needs beside WORKFLOWS: creating a workflow (a model permission, since
there is no object yet) and operating executions (retry, re-trigger, cancel: the review queue's
own permission, as the admin's operator actions ask it). Both go through `Rules`."""

from idconfluence.access import Rules
from workflows.models import Execution, Workflow

NEW_WORKFLOWS: Rules[Workflow] = Rules(Workflow, {"add": "workflows.add_workflow"})
OPERATIONS: Rules[Execution] = Rules(Execution, {"operate": "workflows.operate_execution"})
