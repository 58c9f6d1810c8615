"""`manage.py load_demo`: the demo a fresh clone shows: an admin login, a connector, a published
joiner workflow and one run of it. Safe to run again: it adds only what is missing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from connectors.models import Connector
from workflows.models import Workflow
from workflows.services.runs import run_start
from workflows.services.versions import version_publish, workflow_import

DEMO = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load demo data and print the admin login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--no-run", action="store_true", help="do not start a demo run")
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/", help="admin address")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("IDC_DEMO_ADMIN_PASSWORD", "")
        with transaction.atomic():
            user = self._admin(options["username"], password)
            Connector.objects.get_or_create(
                name="local-directory",
                defaults={
                    "type": "local",
                    "description": "Built-in directory kept in this database (demo)",
                },
            )
            workflow = Workflow.objects.filter(slug="joiner-standard-access").first()
            if workflow is None:
                document = json.loads((DEMO / "joiner.json").read_text())
                draft = workflow_import(document=document, actor=user)
                # The demo is published by the product itself, as a fixture: four-eyes binds
                # people, and the one person of a fresh install last changed this draft.
                workflow = version_publish(version=draft, actor=None).workflow
            if not options["no_run"]:
                sample = json.loads((DEMO / "samples" / "workday-hire.json").read_text())
                run = run_start(workflow=workflow, input=sample, actor=user)
                self.stdout.write(f"demo run {run.pk} of {workflow.slug} queued")
        self.stdout.write(
            f"admin login: {options['url']}  user {options['username']!r}"
            + (f"  password {password!r}" if password else "")
        )

    def _admin(self, username: str, password: str) -> Any:
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_superuser(username, f"{username}@localhost", password)
        elif password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user
