"""`manage.py install_templates [NAME ...] [--publish]`: the template library (workflows/library/)
as workflows under their own slugs; already installed ones are left alone, so it can run on
every start."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.services.templates import TemplateRefused, template_list, templates_install


class Command(BaseCommand):
    help = "Install the templates of workflows/library/ (drafts; --publish publishes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("names", nargs="*", help="template file names (default: all)")
        parser.add_argument(
            "--publish", action="store_true", help="publish those whose connectors exist"
        )
        parser.add_argument("--list", action="store_true", help="list the templates and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for template in template_list():
                uses = ", ".join(template.connectors) or "no connector"
                self.stdout.write(f"{template.name}: {template.title} ({template.trigger}; {uses})")
            return
        try:
            installed = templates_install(
                actor=None, names=options["names"] or None, publish=options["publish"]
            )
        except TemplateRefused as exc:
            known = ", ".join(t.name for t in template_list())
            raise CommandError(f"{exc} (templates: {known})") from None
        for item in installed:
            self.stdout.write(f"{item.template.name} -> {item.template.slug}: {item.note}")
