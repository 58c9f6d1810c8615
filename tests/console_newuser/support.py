"""Workflows the new user's tests start from: the seed's joiner (workflows/demo) and the built-in
directory connector it provisions through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectors.models import Connector
from workflows.models import WorkflowVersion
from workflows.services.versions import workflow_import

DEMO = Path(__file__).resolve().parents[2] / "workflows" / "demo"


def demo_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DEMO / "joiner.json").read_text())
    return document


def demo_sample(name: str = "workday-hire") -> dict[str, Any]:
    sample: dict[str, Any] = json.loads((DEMO / "samples" / f"{name}.json").read_text())
    return sample


def demo_joiner(*, publish: bool = True, document: dict[str, Any] | None = None) -> WorkflowVersion:
    Connector.objects.get_or_create(name="local-directory", defaults={"type": "local"})
    return workflow_import(document=document or demo_document(), actor=None, publish=publish)
