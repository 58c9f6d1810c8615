"""audit_export writes the window's events (or a workflow's history) and a manifest beside it;
the manifest ties the export to the live chain."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from audit.chain import hash_content
from audit.models import AuditEvent
from workflows.models import Execution, Run, Step, Workflow, WorkflowVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(event_at) -> None:
    start = datetime(2026, 6, 1, 8, tzinfo=UTC)
    for n in range(40):
        event_at(start + timedelta(days=n), action="day.tick", details={"n": n})


def test_event_export_jsonl_rows_rehash_and_match_the_manifest(month, tmp_path) -> None:
    out = tmp_path / "june.jsonl"
    call_command(
        "audit_export", "--from", "2026-06-01", "--to", "2026-06-30", "--tz", "UTC",
        "--format", "jsonl", "--out", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    manifest = json.loads((tmp_path / "june.jsonl.manifest.json").read_text())

    assert len(rows) == manifest["count"] == 30
    assert all(hash_content({k: v for k, v in r.items() if k != "hash"}) == r["hash"] for r in rows)
    assert [r["prev_hash"] for r in rows[1:]] == [r["hash"] for r in rows[:-1]]
    first, last = AuditEvent.objects.get(seq=1), AuditEvent.objects.get(seq=30)
    assert manifest["first"] == {"seq": 1, "prev_hash": first.prev_hash, "hash": first.hash}
    assert manifest["last"] == {"seq": 30, "prev_hash": last.prev_hash, "hash": last.hash}
    assert manifest["filters"]["start"] == "2026-06-01T00:00:00+00:00"
    assert len(manifest["data_sha256"]) == 64


def test_event_export_csv(month, tmp_path) -> None:
    out = tmp_path / "week.csv"
    call_command(
        "audit_export", "--from", "2026-06-01", "--to", "2026-06-07", "--format", "csv",
        "--out", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    rows = list(csv.DictReader(out.open()))

    assert [int(r["seq"]) for r in rows] == list(range(1, 8))
    assert json.loads(rows[0]["details"]) == {"n": 0}
    assert json.loads((tmp_path / "week.csv.manifest.json").read_text())["count"] == 7


@pytest.fixture
def payroll_runs(superuser) -> Workflow:
    workflow = Workflow.objects.create(slug="payroll", name="Payroll access")
    version = WorkflowVersion.objects.create(workflow=workflow, number=1, state="published")
    for n, outcome in enumerate(["succeeded", "failed"]):
        run = Run.objects.create(
            workflow=workflow, version=version, trigger_kind="webhook", trigger_ref=f"evt-{n}",
            state=outcome, started_by=superuser,
        )  # fmt: skip
        execution = Execution.objects.create(run=run, state="succeeded")
        for seq, key in enumerate(["start", "grant"]):
            Step.objects.create(
                execution=execution, seq=seq, block_key=key, block_kind="action",
                block_type="noop", state="succeeded", outcome="next",
                started_at=timezone.now(), input={"token": "t0k"},
            )  # fmt: skip
    return workflow


def test_workflow_history_export(payroll_runs, tmp_path) -> None:
    out = tmp_path / "payroll.jsonl"
    today = timezone.now().date().isoformat()
    call_command(
        "audit_export", "--history", "--workflow", "payroll", "--from", today, "--to", today,
        "--out", str(out), stdout=io.StringIO(),
    )  # fmt: skip
    runs = [json.loads(line) for line in out.read_text().splitlines()]
    manifest = json.loads((tmp_path / "payroll.jsonl.manifest.json").read_text())

    assert [r["outcome"] for r in runs] == ["succeeded", "failed"]
    assert runs[0]["trigger"] == {
        "kind": "webhook", "ref": "evt-0", "started_by": "root", "retriggered_from": None,
    }  # fmt: skip
    assert [s["block"] for s in runs[0]["executions"][0]["steps"]] == ["start", "grant"]
    assert runs[0]["executions"][0]["steps"][0]["input"] == {"token": "[redacted]"}
    assert runs[0]["approvals"] == []
    assert manifest["runs"] == 2 and manifest["filters"]["workflow"]["slug"] == "payroll"


def test_history_page_and_csv_download(payroll_runs, auditor) -> None:
    client = Client()
    client.force_login(auditor)
    page = client.get("/admin/audit/auditevent/history/", {"workflow": "payroll"})
    assert page.status_code == 200 and len(page.context["runs"]) == 2
    assert b"evt-1" in page.content

    response = client.get("/admin/audit/auditevent/history/export/csv/", {"workflow": "payroll"})
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(csv.DictReader(io.StringIO(archive.read("history-payroll.csv").decode())))
    assert [(r["trigger_ref"], r["block"]) for r in rows] == [
        ("evt-0", "start"), ("evt-0", "grant"), ("evt-1", "start"), ("evt-1", "grant"),
    ]  # fmt: skip
    assert json.loads(archive.read("manifest.json"))["runs"] == 2
