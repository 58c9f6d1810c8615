"""An auditor reads every console page and exports the audit log, and changes nothing anywhere:
every add, change and delete page and every action, posted as a browser would, is refused and
leaves every table as it was."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.db.models import Model

from audit.models import AuditEvent
from tests.access.conftest import World, signed_in
from workflows.models import Execution, Run
from workflows.status import ExecutionState, RunState

pytestmark = pytest.mark.django_db


def _admins() -> list[tuple[type[Model], admin.ModelAdmin[Any]]]:
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _url(model: type[Model], view: str, *args: Any) -> str:
    from django.urls import reverse

    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model the console shows (the audit log apart: reading may log)."""
    return {
        model._meta.label: sorted(map(repr, model._default_manager.values_list()))
        for model, _ in _admins()
        if model is not AuditEvent
    }


def test_the_auditor_reads_every_list_and_page(world: World) -> None:
    client = signed_in(world.people["auditor"])
    assert client.get("/admin/").status_code == 200
    for model, _ in _admins():
        listing = client.get(_url(model, "changelist"))
        assert listing.status_code == 200, model._meta.label
        rows = listing.context["cl"].result_list
        first = rows[0] if len(rows) else None
        if first is not None:
            page = client.get(_url(model, "change", first.pk))
            assert page.status_code == 200, model._meta.label
            assert b'name="_save"' not in page.content, model._meta.label


def test_the_auditor_exports_the_audit_log(world: World) -> None:
    client = signed_in(world.people["auditor"])
    for fmt in ("csv", "jsonl"):
        export = client.get(f"/admin/audit/auditevent/export/{fmt}/")
        assert export.status_code == 200, fmt
        body = b"".join(export.streaming_content) if export.streaming else export.content
        assert b"workflow.published" in body or b"PK" in body[:4]  # a file or a ZIP of files


def test_the_auditor_changes_nothing_anywhere(world: World) -> None:
    # one run parked in the review queue, so its operator actions are tried too
    Execution.objects.filter(run=world.their_run).update(
        state=ExecutionState.PARKED, failed_block="add_staff", failure_reason="target down"
    )
    Run.objects.filter(pk=world.their_run.pk).update(state=RunState.FAILED)
    auditor = world.people["auditor"]
    client = signed_in(auditor)
    before = _snapshot()
    for model, model_admin in _admins():
        label = model._meta.label
        assert client.post(_url(model, "add"), {}).status_code == 403, label
        rows = client.get(_url(model, "changelist")).context["cl"].result_list
        first = rows[0] if len(rows) else None
        if first is None:
            continue
        assert client.post(_url(model, "change", first.pk), {}).status_code in (403, 404), label
        assert client.post(_url(model, "delete", first.pk), {"post": "yes"}).status_code in (
            403,
            404,
        ), label
        actions = [name for _, name, _ in model_admin._get_base_actions()]
        for action in {*actions, "delete_selected"}:
            answer = client.post(
                _url(model, "changelist"),
                {"action": action, "_selected_action": [first.pk], "post": "yes"},
            )
            assert answer.status_code in (200, 302, 403), (label, action)
    for sharing in (
        f"/admin/workflows/workflow/{world.mine.pk}/permissions/",
        f"/admin/connectors/connector/{world.my_connector.pk}/permissions/",
        f"/admin/workflows/workflow/{world.mine.pk}/run/",
        f"/admin/workflows/workflowversion/{world.my_draft.pk}/publish/",
    ):
        assert client.post(sharing, {"input": "{}", "user": "auditor"}).status_code == 403
    assert _snapshot() == before
    changed = (
        AuditEvent.objects.filter(actor=auditor)
        .exclude(action__in=["auth.signed_in"])
        .exclude(action__startswith="audit.")
    )
    assert list(changed.values_list("action", flat=True)) == []
