"""`manage.py export_workflow SLUG [--version N] [--out PATH]`: write a version as a document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idconfluence.command_actor import actor_from, add_user_argument
from workflows import documents
from workflows.access import WORKFLOWS
from workflows.models import Workflow


class Command(BaseCommand):
    help = "Write a workflow version (default: the published one, else the draft) as JSON."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # `--version N` names a workflow version here, replacing Django's own --version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--version", type=int, dest="number", help="version number")
        parser.add_argument("--out", help="file to write (default: standard output)")
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        workflows = Workflow.objects.all()
        if actor is not None:  # another's workflow is as absent as one that does not exist
            workflows = WORKFLOWS.visible(actor, "view", workflows)
        try:
            workflow = workflows.get(slug=options["slug"])
        except Workflow.DoesNotExist:
            raise CommandError(f"no workflow with slug {options['slug']!r}") from None
        if options["number"]:
            version = workflow.versions.filter(number=options["number"]).first()
            if version is None:
                raise CommandError(f"{workflow.slug} has no version {options['number']}")
        else:
            version = workflow.published_version or workflow.draft
            if version is None:
                raise CommandError(f"{workflow.slug} has no versions")
        text = documents.dumps(documents.version_document(version))
        if options["out"]:
            Path(options["out"]).write_text(text)
            self.stderr.write(f"wrote {workflow.slug} v{version.number} to {options['out']}")
        else:
            self.stdout.write(text, ending="")
