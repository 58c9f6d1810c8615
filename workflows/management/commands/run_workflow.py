"""`manage.py run_workflow SLUG --input PATH [--wait S] [--dry-run] [--inline]`: Run now, from a
shell. Prints the run's id, state and steps as JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from idconfluence.access import Denied
from idconfluence.command_actor import actor_from, add_user_argument
from idconfluence.intake import IntakeError, parse_json
from workflows.models import Run, Workflow
from workflows.selectors import run_summary
from workflows.services.executions import execution_run
from workflows.services.runs import NotRunnable, run_start
from workflows.status import RunState, TriggerKind

SETTLED = {RunState.SUCCEEDED, RunState.FAILED, RunState.WAITING, RunState.CANCELLED}


class Command(BaseCommand):
    help = "Start a run of a published workflow and print it as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--input", help="JSON file with the event (default: {})")
        parser.add_argument(
            "--wait",
            type=float,
            default=0,
            help="seconds to wait for the run to settle (needs a running cluster)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="evaluate logic and show what actions would do; send nothing",
        )
        parser.add_argument(
            "--inline",
            action="store_true",
            help="perform the first execution in this process, not on the cluster",
        )
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        try:
            workflow = Workflow.objects.get(slug=options["slug"])
        except Workflow.DoesNotExist:
            raise CommandError(f"no workflow with slug {options['slug']!r}") from None
        event = self._input(options["input"])
        try:
            run = run_start(
                workflow=workflow,
                trigger_kind=TriggerKind.MANUAL,
                input=event,
                dry_run=options["dry_run"],
                actor=actor,
            )
        except (NotRunnable, Denied) as exc:
            raise CommandError(str(exc)) from None
        if options["inline"]:
            execution_run(execution_id=run.executions.get().pk)
        deadline = time.monotonic() + options["wait"]
        while time.monotonic() < deadline:
            run.refresh_from_db(fields=["state"])
            if run.state in SETTLED and not run.executions.filter(state="queued").exists():
                break
            time.sleep(0.1)
        run = Run.objects.get(pk=run.pk)
        self.stdout.write(json.dumps(run_summary(run), indent=2, cls=DjangoJSONEncoder))

    def _input(self, path: str | None) -> dict[str, Any]:
        if not path:
            return {}
        try:
            data = parse_json(Path(path).read_bytes())
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        except IntakeError as exc:
            raise CommandError(f"{path} cannot be used as input: {exc}") from None
        if not isinstance(data, dict):
            raise CommandError(f"{path} must hold a JSON object, not {type(data).__name__}")
        return data
