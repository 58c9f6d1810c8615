"""What goes live when a draft is published, in one read for the publish review page: the graph
diff against the published version, the trigger's settings, every connector the draft calls with
its current health, the validation findings and who may publish it under four-eyes. Nothing is
left out of the review that the publish puts into effect (settings and credentials included:
the connectors' health says whether their credentials work today)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.models import Connector
from workflows import documents, policy
from workflows.diff import DocumentDiff, diff_documents
from workflows.engine.graph import Issue
from workflows.models import WorkflowVersion
from workflows.services.versions import draft_issues, four_eyes_refusal


@dataclass(frozen=True)
class ConnectorUse:
    name: str
    operations: tuple[str, ...]
    blocks: tuple[str, ...]
    type: str = ""
    health: str = "missing"
    health_message: str = "no connector with this name is configured"
    checked_at: Any = None
    enabled: bool = False


@dataclass(frozen=True)
class PublishReview:
    version: WorkflowVersion
    published: WorkflowVersion | None
    diff: DocumentDiff
    trigger: dict[str, Any] | None
    previous_trigger: dict[str, Any] | None
    connectors: tuple[ConnectorUse, ...]
    issues: tuple[Issue, ...]
    four_eyes: bool
    refusal: str = ""  # why the viewer may not publish it ('' when they may)
    grants_access: bool = False
    notes: list[str] = field(default_factory=list)


def _trigger(document: dict[str, Any]) -> dict[str, Any] | None:
    for block in document.get("blocks", []):
        if block.get("kind") == "trigger":
            return {"key": block["key"], "type": block["type"], "config": block.get("config", {})}
    return None


def _connectors(document: dict[str, Any]) -> tuple[ConnectorUse, ...]:
    used: dict[str, tuple[set[str], list[str]]] = {}
    for key, name, operation in policy.connector_refs(document):
        ops, blocks = used.setdefault(name, (set(), []))
        ops.add(operation)
        blocks.append(key)
    rows = {c.name: c for c in Connector.objects.filter(name__in=used)}
    found = []
    for name in sorted(used):
        ops, blocks = used[name]
        row = rows.get(name)
        base = ConnectorUse(name=name, operations=tuple(sorted(ops)), blocks=tuple(blocks))
        if row is not None:
            base = ConnectorUse(
                name=name,
                operations=base.operations,
                blocks=base.blocks,
                type=row.type,
                health=row.get_health_status_display(),
                health_message=row.health_message,
                checked_at=row.health_checked_at,
                enabled=row.enabled,
            )
        found.append(base)
    return tuple(found)


def publish_review(version: WorkflowVersion, viewer: Any) -> PublishReview:
    workflow = version.workflow
    document = documents.version_document(version)
    published = workflow.published_version
    before = documents.version_document(published) if published is not None else None
    return PublishReview(
        version=version,
        published=published,
        diff=diff_documents(before, document),
        trigger=_trigger(document),
        previous_trigger=_trigger(before) if before is not None else None,
        connectors=_connectors(document),
        issues=tuple(draft_issues(version)) if version.is_draft else (),
        four_eyes=policy.four_eyes_required(workflow, document),
        refusal=four_eyes_refusal(version, viewer) if version.is_draft else "",
        grants_access=policy.grants_access(document),
    )
