"""`manage.py load_demo`: the demo a fresh clone shows: an admin login, a connector, a published
joiner workflow and one run of it; with `--targets`, also the template library, connectors to the
demo targets `make run` starts (workflows.demo.targets) and the joiner webhook's secret.

Safe to run again: it adds only what is missing, and the demo run is queued only while the demo
workflow has none, so a second `make run` queues nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from connectors.models import Connector
from workflows.models import Workflow
from workflows.models_triggers import WebhookEndpoint
from workflows.services.runs import run_start
from workflows.services.templates import templates_install
from workflows.services.triggers import endpoint_rotate_secret
from workflows.services.versions import version_publish, workflow_import

DEMO = Path(__file__).resolve().parents[2] / "demo"


class Command(BaseCommand):
    help = "Load demo data and print the admin login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--no-run", action="store_true", help="do not start a demo run")
        parser.add_argument("--url", default="http://127.0.0.1:8000/admin/", help="admin address")
        parser.add_argument(
            "--targets",
            action="store_true",
            help="install the templates, wired to the demo targets (IDC_DEMO_* ports and token)",
        )

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
            if not options["no_run"] and not workflow.runs.exists():
                sample = json.loads((DEMO / "samples" / "workday-hire.json").read_text())
                run = run_start(workflow=workflow, input=sample, actor=user)
                self.stdout.write(f"demo run {run.pk} of {workflow.slug} queued")
            if options["targets"]:
                self._targets(user)
        self.stdout.write(
            f"admin login: {options['url']}  user {options['username']!r}"
            + (f"  password {password!r}" if password else "")
        )

    def _targets(self, user: Any) -> None:
        token = os.environ.get("IDC_DEMO_SCIM_TOKEN", "")
        if not token:
            raise CommandError("--targets needs IDC_DEMO_SCIM_TOKEN (make run writes it)")
        scim_port = int(os.environ.get("IDC_DEMO_SCIM_PORT", "8030"))
        smtp_port = int(os.environ.get("IDC_DEMO_SMTP_PORT", "8025"))
        scim, _ = Connector.objects.update_or_create(
            name="scim-directory",
            defaults={
                "type": "scim",
                "config": {"base_url": f"http://127.0.0.1:{scim_port}/v2", "auth": "bearer"},
                "description": "The demo's SCIM service on loopback (make run)",
            },
        )
        scim.set_secrets({"token": token})
        scim.save()
        Connector.objects.update_or_create(
            name="mail",
            defaults={
                "type": "email",
                "config": {"host": "127.0.0.1", "port": smtp_port, "from_email": "idc@localhost"},
                "description": "The demo's SMTP catcher on loopback (make run)",
            },
        )
        for item in templates_install(actor=user, publish=True, as_fixture=True):
            if item.version is not None:
                self.stdout.write(f"template {item.template.name}: {item.note}")
        for endpoint in WebhookEndpoint.objects.filter(active=True, secret_encrypted=""):
            endpoint_rotate_secret(endpoint=endpoint, actor=user)  # send_sample signs with it

    def _admin(self, username: str, password: str) -> Any:
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_superuser(username, f"{username}@localhost", password)
        elif password and not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user
