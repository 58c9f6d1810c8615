"""Writes to workflows and their versions: drafts, publish, retire, import. Each is atomic and
audited; a published version is never modified (new content always makes a new draft)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from idconfluence.access import Denied, is_person
from idconfluence.validators import multi_line
from workflows import documents, policy
from workflows.access import WORKFLOWS
from workflows.engine.graph import Graph, Issue
from workflows.engine.validate import validate
from workflows.models import Block, Edge, FrozenVersionError, Workflow, WorkflowVersion
from workflows.status import VersionState

T = TypeVar("T")


class PublishRefused(Exception):
    """Publishing found problems; `issues` names the blocks to fix."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("cannot publish: " + "; ".join(str(i) for i in issues))

    def by_block(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for issue in self.issues:
            grouped.setdefault(issue.block or "", []).append(issue.message)
        return grouped


class DraftExists(Exception):
    pass


class FourEyesRefused(Denied):
    """The person who last changed a four-eyes draft asked to publish it."""


class DraftChanged(Exception):
    """The draft changed after its reviewer looked at it: what they saw is not what goes live."""


class StaleDraft(Exception):
    """The draft changed since the editor loaded it: saving would overwrite someone's work."""

    def __init__(self, draft: WorkflowVersion) -> None:
        self.draft = draft
        who = draft.changed_by or draft.created_by
        when = draft.changed_at or draft.created_at
        self.saved_by = who.get_username() if who is not None else "someone"
        self.saved_at = when
        super().__init__(
            f"The draft was saved by {self.saved_by} at {when:%Y-%m-%d %H:%M:%S %Z} after you "
            "opened it; your changes were not saved. Reload to see theirs, then apply yours."
        )


def draft_revision(version: WorkflowVersion) -> str:
    """The token an editor sends back when saving: the checksum of the content as stored now
    (computed, not the stored column, so an edit through any path changes it)."""
    return documents.checksum(documents.version_document(version))


def _next_number(workflow: Workflow) -> int:
    last = workflow.versions.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1


def _write_graph(version: WorkflowVersion, document: dict[str, Any]) -> None:
    blocks = Block.objects.bulk_create(
        Block(
            version=version,
            key=b["key"],
            kind=b["kind"],
            type=b["type"],
            label=b.get("label", ""),
            config=b.get("config", {}),
            position_x=b.get("position", {}).get("x", 0),
            position_y=b.get("position", {}).get("y", 0),
        )
        for b in document["blocks"]
    )
    by_key = {block.key: block for block in blocks}
    missing = sorted({e[end] for e in document["edges"] for end in ("from", "to")} - by_key.keys())
    if missing:
        raise documents.DocumentError([f"edges: unknown block {key!r}" for key in missing])
    Edge.objects.bulk_create(
        Edge(
            version=version, source=by_key[e["from"]], target=by_key[e["to"]], outcome=e["outcome"]
        )
        for e in document["edges"]
    )


def draft_save(
    *,
    workflow: Workflow,
    document: dict[str, Any],
    actor: Any,
    replace: bool = True,
    revision: str | None = None,
) -> WorkflowVersion:
    """Write `document` as the workflow's draft (replacing an existing draft's content).

    A person needs `change` on the workflow and `use` on every connector a block references;
    they become the draft's `changed_by` (four-eyes: someone else publishes it).

    With `revision` (the token the editor loaded), a draft that changed since is refused with
    StaleDraft; the check runs under the draft's row lock, so of two concurrent saves of the
    same revision exactly one wins."""
    WORKFLOWS.require_person(actor, "change", workflow)
    documents.check(document)
    duplicates = _repeated(b["key"] for b in document["blocks"])
    if duplicates:
        raise documents.DocumentError([f"blocks: key {k!r} is used twice" for k in duplicates])
    repeated = _repeated((e["from"], e["outcome"]) for e in document["edges"])
    if repeated:  # the database allows one edge per block and outcome (edge_outcome_unique)
        raise documents.DocumentError(
            [f"edges: block {b!r} has more than one {o!r} edge" for b, o in repeated]
        )
    policy.require_usable_connectors(actor, document)
    with transaction.atomic():
        draft = workflow.versions.select_for_update().filter(state=VersionState.DRAFT).first()
        if draft and not replace:
            raise DraftExists(f"{workflow.slug} already has a draft (v{draft.number})")
        if revision is not None and (draft is None or draft_revision(draft) != revision):
            if draft is None:
                raise documents.DocumentError(["revision: the workflow has no draft to save over"])
            raise StaleDraft(draft)
        if draft:
            draft.edges.all().delete()
            draft.blocks.all().delete()
        else:
            draft = WorkflowVersion.objects.create(
                workflow=workflow, number=_next_number(workflow), created_by=_user(actor)
            )
        _write_graph(draft, document)
        draft.checksum = documents.checksum(document)
        draft.changed_by, draft.changed_at = _user(actor), timezone.now()
        draft.save(update_fields=["checksum", "changed_by", "changed_at"])
        record(
            action="workflow.draft_saved",
            actor=actor,
            target=draft,
            workflow_id=workflow.pk,
            details={"checksum": draft.checksum, "blocks": len(document["blocks"])},
        )
    return draft


def draft_touch(*, version: WorkflowVersion, actor: Any) -> WorkflowVersion:
    """A draft edited block by block (the console's inlines): its editor becomes `changed_by`
    and the checksum follows the content, as a whole-document save does."""
    with transaction.atomic():
        version = WorkflowVersion.objects.select_for_update().get(pk=version.pk)
        if not version.is_draft:
            raise FrozenVersionError(f"v{version.number} is {version.state}")
        WORKFLOWS.require_person(actor, "change", version.workflow)
        version.checksum = documents.checksum(documents.version_document(version))
        version.changed_by, version.changed_at = _user(actor), timezone.now()
        version.save(update_fields=["checksum", "changed_by", "changed_at"])
        record(
            action="workflow.draft_edited",
            actor=actor,
            target=version,
            workflow_id=version.workflow_id,
            details={"checksum": version.checksum},
        )
    return version


def first_draft_document(workflow: Workflow) -> dict[str, Any]:
    """The graph a new workflow starts from: one manual trigger, ready for its next block."""
    return {
        "format": documents.FORMAT,
        "workflow": {
            "slug": workflow.slug,
            "name": workflow.name,
            "description": workflow.description,
        },
        "blocks": [
            {
                "key": "start",
                "kind": "trigger",
                "type": "manual",
                "label": "Run now",
                "config": {},
                "position": {"x": 0, "y": 0},
            }
        ],
        "edges": [],
    }


def workflow_first_draft(*, workflow: Workflow, actor: Any) -> WorkflowVersion:
    """A workflow made in the console gets its draft at once (a trigger-only graph), so it can
    be edited there; refused (DraftExists) when it already has one."""
    return draft_save(
        workflow=workflow, document=first_draft_document(workflow), actor=actor, replace=False
    )


def draft_checksum_refresh(*, version: WorkflowVersion, actor: Any) -> WorkflowVersion:
    """After a block or edge of a draft was edited row by row (the console): as `draft_touch`;
    a frozen version is left alone (its checksum was taken when it was published)."""
    if not version.is_draft:
        return version
    return draft_touch(version=version, actor=actor)


def draft_trigger_set(
    *, workflow: Workflow, type_name: str, config: dict[str, Any], actor: Any
) -> WorkflowVersion:
    """Set the trigger of the workflow's draft (made from the published version, or the first
    draft, when there is none): the console's schedule form writes here; publishing applies it."""
    with transaction.atomic():
        draft = workflow.versions.select_for_update().filter(state=VersionState.DRAFT).first()
        if draft is None:
            source = workflow.versions.order_by("-number").first()
            draft = (
                draft_from_version(version=source, actor=actor)
                if source is not None
                else workflow_first_draft(workflow=workflow, actor=actor)
            )
        trigger = draft.blocks.filter(kind="trigger").order_by("id").first()
        if trigger is None:
            Block.objects.create(
                version=draft, key="start", kind="trigger", type=type_name, config=config
            )
        else:
            trigger.type, trigger.config = type_name, config
            trigger.save(update_fields=["type", "config"])
        return draft_checksum_refresh(version=draft, actor=actor)


def draft_issues(version: WorkflowVersion) -> list[Issue]:
    from connectors.services import supported_operations

    graph = Graph.from_document(documents.version_document(version))
    return validate(graph, supported_operations())


def version_publish(
    *,
    version: WorkflowVersion,
    actor: Any,
    change_note: str = "",
    reviewed_checksum: str | None = None,
) -> WorkflowVersion:
    """Validate and freeze a draft with its change note (the history shows who published what
    and why); the previously published version is retired.

    A person needs `publish` on the workflow and, with four-eyes on, must not be the one who
    last changed the draft. With `reviewed_checksum` (the review page sends the one it showed)
    a draft changed since is refused, so nobody publishes content they did not see."""
    change_note = change_note.strip()
    multi_line(change_note)  # a control character is refused before anything is written
    with transaction.atomic():
        version = (
            WorkflowVersion.objects.select_for_update(of=("self",))
            .select_related("workflow")
            .get(pk=version.pk)
        )
        WORKFLOWS.require_person(actor, "publish", version.workflow)
        if version.state != VersionState.DRAFT:
            raise FrozenVersionError(
                f"v{version.number} is {version.state}; only a draft publishes"
            )
        refusal = four_eyes_refusal(version, actor)
        if refusal:
            raise FourEyesRefused(refusal)
        if reviewed_checksum is not None and reviewed_checksum != version.checksum:
            who = version.changed_by or "someone"
            raise DraftChanged(
                f"v{version.number} was changed by {who} after you reviewed it; review it again."
            )
        issues = draft_issues(version)
        if issues:
            raise PublishRefused(issues)
        retired = list(
            version.workflow.versions.filter(state=VersionState.PUBLISHED).values_list(
                "number", flat=True
            )
        )
        version.workflow.versions.filter(state=VersionState.PUBLISHED).update(
            state=VersionState.RETIRED
        )
        version.state = VersionState.PUBLISHED
        version.published_by = _user(actor)
        version.published_at = timezone.now()
        version.checksum = documents.checksum(documents.version_document(version))
        version.change_note = change_note
        version.save(
            update_fields=["state", "published_by", "published_at", "checksum", "change_note"]
        )
        record(
            action="workflow.published",
            actor=actor,
            target=version,
            workflow_id=version.workflow_id,
            details={
                "number": version.number,
                "checksum": version.checksum,
                "retired": retired,
                "change_note": version.change_note,
            },
        )
    return version


def four_eyes_refusal(version: WorkflowVersion, actor: Any) -> str:
    """Why `actor` may not publish this draft under four-eyes ('' when they may)."""
    if not is_person(actor) or version.changed_by_id is None:
        return ""
    if version.changed_by_id != actor.pk:
        return ""
    if not policy.four_eyes_required(version.workflow, documents.version_document(version)):
        return ""
    return (
        f"Four-eyes publishing is on for {version.workflow.slug}: you changed draft "
        f"v{version.number} last, so another person with publish permission must publish it."
    )


def version_retire(*, version: WorkflowVersion, actor: Any) -> WorkflowVersion:
    WORKFLOWS.require_person(actor, "publish", version.workflow)
    with transaction.atomic():
        updated = WorkflowVersion.objects.filter(
            pk=version.pk, state=VersionState.PUBLISHED
        ).update(state=VersionState.RETIRED)
        if not updated:
            raise FrozenVersionError(f"v{version.number} is not published")
        record(
            action="workflow.retired",
            actor=actor,
            target=version,
            workflow_id=version.workflow_id,
            details={"number": version.number},
        )
    version.refresh_from_db()
    return version


def workflow_import(
    *, document: dict[str, Any], actor: Any, publish: bool = False, replace_draft: bool = False
) -> WorkflowVersion:
    """Load a document as a new draft of its workflow (created if new), optionally publishing it.

    All or nothing: a document that fails the schema, has a clashing draft, or (with publish)
    does not validate leaves the database as it was.
    """
    documents.check(document)
    meta = document["workflow"]
    with transaction.atomic():
        workflow, created = _workflow_for_import(meta, actor)
        if workflow.deleted_at is not None:  # its history is in the bin: restore it, not overwrite
            raise documents.DocumentError(
                [f"workflow/slug: {workflow.slug!r} is in the recycle bin; restore it first"]
            )
        if not created and (workflow.name, workflow.description) != (
            meta["name"],
            meta.get("description", ""),
        ):
            workflow.name, workflow.description = meta["name"], meta.get("description", "")
            workflow.save(update_fields=["name", "description", "updated_at"])
        version = draft_save(
            workflow=workflow, document=document, actor=actor, replace=replace_draft
        )
        record(
            action="workflow.imported",
            actor=actor,
            target=version,
            workflow_id=workflow.pk,
            details={"number": version.number, "created": created},
        )
        if publish:
            version = version_publish(version=version, actor=actor)
    return version


def _workflow_for_import(meta: dict[str, Any], actor: Any) -> tuple[Workflow, bool]:
    """The document's workflow, locked: an existing one needs `change`; a new one needs `add`
    and gives its creator the workflow's object permissions. Two imports creating the same
    slug at once: the second finds the first's (and is checked as changing it)."""
    workflow = Workflow.objects.select_for_update().filter(slug=meta["slug"]).first()
    if workflow is None:
        WORKFLOWS.require_person(actor, "add")
        try:
            with transaction.atomic():
                workflow = Workflow.objects.create(
                    slug=meta["slug"],
                    name=meta["name"],
                    description=meta.get("description", ""),
                    owner=_user(actor),
                )
        except IntegrityError:
            workflow = Workflow.objects.select_for_update().get(slug=meta["slug"])
        else:
            WORKFLOWS.grant_creator(actor, workflow)
            return workflow, True
    WORKFLOWS.require_person(actor, "change", workflow)
    return workflow, False


def draft_from_version(*, version: WorkflowVersion, actor: Any) -> WorkflowVersion:
    """Start editing again: a new draft with the content of `version` (a roll back, or a fork)."""
    document = documents.version_document(version)
    with transaction.atomic():
        draft = draft_save(workflow=version.workflow, document=document, actor=actor, replace=False)
        record(
            action="workflow.rolled_back"
            if version.state == VersionState.RETIRED
            else "workflow.draft_created",
            actor=actor,
            target=draft,
            workflow_id=version.workflow_id,
            details={"from_number": version.number},
        )
    return draft


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _repeated(items: Iterable[T]) -> list[T]:
    """Values found more than once, sorted (a document may hold thousands of blocks: linear)."""
    return sorted(value for value, n in Counter(items).items() if n > 1)  # type: ignore[type-var]
