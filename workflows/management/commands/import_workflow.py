"""`manage.py import_workflow PATH [--publish]`: load a document as a new draft, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idconfluence.access import Denied
from idconfluence.command_actor import actor_from, add_user_argument
from workflows import documents
from workflows.documents import DocumentError
from workflows.models import FrozenVersionError
from workflows.policy import ConnectorNotUsable
from workflows.services.versions import DraftExists, PublishRefused, workflow_import


class Command(BaseCommand):
    help = "Import a workflow document as a new draft (or publish it); prints slug and version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--publish", action="store_true", help="validate and publish it")
        parser.add_argument(
            "--replace-draft", action="store_true", help="overwrite the workflow's existing draft"
        )
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_from(options)
        path = Path(options["path"])
        try:
            document = documents.parse(path.read_bytes())
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        except DocumentError as exc:
            raise CommandError(f"{path} cannot be imported: {exc}") from None
        try:
            version = workflow_import(
                document=document,
                actor=actor,
                publish=options["publish"],
                replace_draft=options["replace_draft"],
            )
        except DocumentError as exc:
            raise CommandError("invalid workflow document:\n  " + "\n  ".join(exc.errors)) from None
        except ConnectorNotUsable as exc:
            raise CommandError("refused, nothing imported:\n  " + "\n  ".join(exc.errors)) from None
        except Denied as exc:
            raise CommandError(f"refused, nothing imported: {exc}") from None
        except PublishRefused as exc:
            lines = [
                f"{block or '(workflow)'}: {m}" for block, ms in exc.by_block().items() for m in ms
            ]
            raise CommandError(
                "not published, nothing imported:\n  " + "\n  ".join(lines)
            ) from None
        except (DraftExists, FrozenVersionError) as exc:
            raise CommandError(f"{exc} (use --replace-draft to overwrite it)") from None
        self.stdout.write(f"{version.workflow.slug} v{version.number} {version.state}")
