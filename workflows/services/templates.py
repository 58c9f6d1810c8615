"""The template library: workflow documents shipped in `workflows/library/`, listed for *New from
template*, copied into new workflows, and installed by `manage.py install_templates`.

A template is an ordinary workflow document; making a workflow from one goes through
`workflow_import`, so it is checked, audited and all-or-nothing like any import.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction

from idconfluence.access import Denied
from workflows import documents
from workflows.engine import blocks
from workflows.engine.graph import Graph
from workflows.models import Workflow, WorkflowVersion
from workflows.services.versions import (
    DraftExists,
    PublishRefused,
    version_publish,
    workflow_import,
)

LIBRARY = Path(__file__).resolve().parents[1] / "library"


class TemplateRefused(ValueError):
    """A template could not be used as asked; `field` names the form field at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Template:
    name: str  # the file's stem: "joiner"
    document: dict[str, Any]

    @property
    def slug(self) -> str:
        return str(self.document["workflow"]["slug"])

    @property
    def title(self) -> str:
        return str(self.document["workflow"]["name"])

    @property
    def description(self) -> str:
        return str(self.document["workflow"].get("description", ""))

    @property
    def trigger(self) -> str:
        return Graph.from_document(self.document).trigger().type

    @property
    def connectors(self) -> list[str]:
        """The connector names the template's blocks use: configure these before publishing."""
        names = set()
        for block in self.document["blocks"]:
            block_type = blocks.get(block["kind"], block["type"])
            names |= {name for name, _ in block_type.connector_refs(block.get("config", {}))}
        return sorted(names)


@lru_cache(maxsize=1)
def _load(directory: Path) -> tuple[Template, ...]:
    found = []
    for path in sorted(directory.glob("*.json")):
        document = documents.check(documents.parse(path.read_bytes()))
        found.append(Template(path.stem, document))
    return tuple(found)


def template_list() -> list[Template]:
    """Every template, by file name; a broken file fails loudly (a test checks them all)."""
    return list(_load(LIBRARY))


def template_get(name: str) -> Template:
    for template in template_list():
        if template.name == name:
            return template
    raise TemplateRefused(f"no template named {name!r}", field="template")


def workflow_from_template(
    *, template: Template, slug: str, name: str, actor: Any
) -> WorkflowVersion:
    """A new workflow whose first draft is the template's graph, under its own slug and name.

    Refused (nothing written) when the slug is taken: a template never adds a draft to a
    workflow someone else owns.
    """
    document = copy.deepcopy(template.document)
    document["workflow"].update(slug=slug, name=name or template.title)
    taken = TemplateRefused(f"a workflow with the slug {slug!r} already exists", "slug")
    if Workflow.objects.filter(slug=slug).exists():
        raise taken
    try:
        with transaction.atomic():
            version = workflow_import(document=document, actor=actor)
            if version.workflow.versions.count() != 1:  # someone else's, made meanwhile
                raise taken
            return version
    except DraftExists:  # the same slug made at the same instant: theirs has the draft
        raise taken from None


@dataclass(frozen=True)
class Installed:
    template: Template
    version: WorkflowVersion | None  # None: it was already installed
    note: str


def templates_install(
    *,
    actor: Any,
    names: list[str] | None = None,
    publish: bool = False,
    as_fixture: bool = False,
) -> list[Installed]:
    """Install templates under their own slugs; one already there is left as it is, so running
    it twice changes nothing. With `publish`, a draft whose connectors exist is published; one
    that does not validate, or that four-eyes keeps from its importer, stays a draft and the note
    says why. `as_fixture` (the demo) publishes as the product itself: four-eyes binds people."""
    chosen = [template_get(n) for n in names] if names else template_list()
    results = []
    for template in chosen:
        if Workflow.objects.filter(slug=template.slug).exists():
            results.append(Installed(template, None, "already installed"))
            continue
        with transaction.atomic():
            version = workflow_import(document=template.document, actor=actor)
            note = "draft"
            if publish:
                try:
                    with transaction.atomic():
                        publisher = None if as_fixture else actor
                        version = version_publish(version=version, actor=publisher)
                    note = "published"
                except (PublishRefused, Denied) as exc:
                    note = f"draft (not published: {exc})"
        results.append(Installed(template, version, note))
    return results
