"""The admin's audit log: read-only, auditors only, filtered, cheap to page, exports as ZIP."""

from __future__ import annotations

import html
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.chain import content_from_row, hash_content
from audit.models import AuditEvent
from audit.services import record_many
from tests.audit.conftest import signed_in

pytestmark = pytest.mark.django_db
LIST = "/admin/audit/auditevent/"


@pytest.fixture
def log(event_at) -> None:
    day = datetime(2026, 4, 1, 12, tzinfo=UTC)
    event_at(day, action="workflow.published", actor_label="bob", workflow_id=7)
    event_at(day + timedelta(days=1), action="run.succeeded", workflow_id=7, run_id=70)
    event_at(day + timedelta(days=2), action="run.failed", workflow_id=8, target_label="Payroll")


def test_auditor_sees_events_and_cannot_change_them(log, auditor) -> None:
    client = signed_in(auditor)
    assert client.get(LIST).status_code == 200
    detail = client.get(f"{LIST}1/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.post(f"{LIST}1/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(seq=1).action == "workflow.published"
    assert not AuditEvent.objects.filter(action__startswith="admin.").exists()


def test_staff_without_view_permission_is_refused(log, user) -> None:
    user.is_staff = True
    user.save()
    client = signed_in(user)
    for url in (LIST, f"{LIST}export/csv/", f"{LIST}history/"):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"actor": "bob"}, ["workflow.published"]),
        ({"action": "run.*"}, ["run.failed", "run.succeeded"]),
        ({"workflow": "7"}, ["run.succeeded", "workflow.published"]),
        ({"q": "payroll"}, ["run.failed"]),
        ({"from": "2026-04-02", "to": "2026-04-02", "tz": "UTC"}, ["run.succeeded"]),
    ],
)
def test_list_filters(log, auditor, params, expected) -> None:
    page = signed_in(auditor).get(LIST, params)
    assert [e.action for e in page.context["cl"].result_list] == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "nonsense"}, "'from' must be a date like 2026-01-31"),
        ({"from": "2026-04-03", "to": "2026-04-01"}, "'from' (2026-04-03) is after 'to'"),
        ({"tz": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ],
)
def test_a_filter_that_cannot_be_understood_shows_its_error_and_no_events(
    log, auditor, params, message
) -> None:
    page = signed_in(auditor).get(LIST, params)
    assert page.status_code == 200 and list(page.context["cl"].result_list) == []
    assert message in html.unescape(page.content.decode())


def test_the_list_never_counts_the_whole_table(superuser) -> None:
    record_many([{"action": f"bulk.{n}"} for n in range(250)])
    client = signed_in(superuser)
    client.get(LIST)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(LIST, {"p": "2"})

    assert page.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT" in counts[0].upper()
    assert len(queries.captured_queries) <= 8


def test_export_streams_a_zip_with_data_and_manifest(log, auditor) -> None:
    response = signed_in(auditor).get(f"{LIST}export/jsonl/", {"workflow": "7"})
    assert response.status_code == 200 and response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    rows = [json.loads(line) for line in archive.read("audit-events.jsonl").splitlines()]
    manifest = json.loads(archive.read("manifest.json"))

    assert [r["action"] for r in rows] == ["workflow.published", "run.succeeded"]
    for row in rows:
        stored_hash = row.pop("hash")
        assert hash_content(row) == stored_hash
    assert manifest["count"] == 2 and manifest["filters"]["workflow"] == "7"
    assert (manifest["first"]["seq"], manifest["last"]["seq"]) == (1, 2)
    assert manifest["last"]["hash"] == AuditEvent.objects.get(seq=2).hash
    assert manifest["first"]["prev_hash"] == "0" * 64


def test_content_from_row_matches_the_stored_hash(log) -> None:
    for row in AuditEvent.objects.values():
        assert hash_content(content_from_row(row)) == row["hash"]
