"""`manage.py demo_targets`: the demo's SCIM service and SMTP catcher on loopback, with the page
listing mail and group members (workflows.demo.targets); `make run` runs it with the product.
Ports and the SCIM token come from the environment `make run` writes (IDC_DEMO_*)."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows.demo.targets import serving


class Command(BaseCommand):
    help = "Serve the demo targets (SCIM, SMTP catcher, a page listing both) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        env = os.environ.get
        parser.add_argument("--scim-port", type=int, default=int(env("IDC_DEMO_SCIM_PORT", "8030")))
        parser.add_argument("--smtp-port", type=int, default=int(env("IDC_DEMO_SMTP_PORT", "8025")))
        parser.add_argument("--page-port", type=int, default=int(env("IDC_DEMO_PAGE_PORT", "8026")))

    def handle(self, *args: Any, **options: Any) -> None:
        token = os.environ.get("IDC_DEMO_SCIM_TOKEN", "")
        if not token:
            raise CommandError("IDC_DEMO_SCIM_TOKEN is not set (make run writes it into .env)")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            with serving(
                scim_port=options["scim_port"],
                token=token,
                smtp_port=options["smtp_port"],
                page_port=options["page_port"],
            ) as page:
                self.stdout.write(
                    f"demo targets: SCIM http://127.0.0.1:{options['scim_port']}/v2, "
                    f"SMTP 127.0.0.1:{options['smtp_port']}, mail and groups at {page}",
                )
                self.stdout.flush()
                stop.wait()
        except (OSError, RuntimeError) as exc:
            raise CommandError(f"demo targets could not start: {exc}") from None
