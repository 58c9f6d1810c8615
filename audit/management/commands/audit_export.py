"""`manage.py audit_export --from DAY --to DAY --format csv|jsonl --out PATH`: evidence files.

Writes the filtered events (or, with --history, a workflow's execution history) to PATH and
its manifest beside it, PATH.manifest.json, streaming in constant memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import exports, filters, selectors
from audit.management.window import add_window_arguments, window_from_options
from audit.models import AuditEvent


class Command(BaseCommand):
    help = "Export audit events (or a workflow's history) for a window, with a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        add_window_arguments(parser)
        parser.add_argument("--preset", choices=list(filters.PRESETS))
        parser.add_argument("--format", choices=exports.FORMATS, default="jsonl")
        parser.add_argument("--out", required=True, help="the data file to write")
        for name in ("actor", "action", "workflow", "target_type", "target_id", "q"):
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default="")
        parser.add_argument(
            "--history", action="store_true", help="the --workflow's runs instead of events"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        window = window_from_options(options)
        out = Path(options["out"])
        fmt = options["format"]
        if options["history"]:
            workflow = selectors.workflow_named(window.workflow)
            if workflow is None:
                raise CommandError("--history needs --workflow (an id or slug that exists)")
            data, manifest = exports.workflow_history_export(workflow, window, fmt, out.name)
        else:
            events = window.apply(AuditEvent.objects.all())
            data, manifest = exports.events_export(events, fmt, window.describe(), out.name)
        with out.open("wb") as handle:
            for chunk in data:
                handle.write(chunk)
        manifest_path = out.with_name(out.name + ".manifest.json")
        manifest_path.write_bytes(exports.manifest_bytes(manifest))
        count = manifest.get("count", manifest.get("runs"))
        self.stdout.write(f"wrote {count} records to {out} and the manifest to {manifest_path}")
