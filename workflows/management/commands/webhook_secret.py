"""`manage.py webhook_secret SLUG`: rotate a webhook workflow's signing secret and print it once,
with its address (the console's rotate action does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from idconfluence.access import Denied
from idconfluence.command_actor import actor_from, add_user_argument
from workflows.models_triggers import WebhookEndpoint
from workflows.services.triggers import endpoint_path, endpoint_rotate_secret


class Command(BaseCommand):
    help = "Rotate a webhook's signing secret; prints the new secret once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        add_user_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        endpoint = WebhookEndpoint.objects.filter(workflow__slug=options["slug"]).first()
        if endpoint is None:
            raise CommandError(f"{options['slug']!r} has no webhook endpoint (publish it first)")
        try:
            secret = endpoint_rotate_secret(endpoint=endpoint, actor=actor_from(options))
        except Denied as exc:
            raise CommandError(f"refused: {exc}") from None
        self.stdout.write(f"address: {endpoint_path(endpoint)}\nsecret:  {secret}")
