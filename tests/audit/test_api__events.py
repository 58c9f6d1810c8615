"""GET /api/audit/events/: read-only, auditors only, same filters as the admin, cursor pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from audit.services import record_many
from tests.audit.conftest import signed_in

pytestmark = pytest.mark.django_db
URL = "/api/audit/events/"


def test_cursor_pages_walk_every_event_newest_first(auditor) -> None:
    record_many([{"action": f"bulk.{n}"} for n in range(25)])
    client, seen, url = signed_in(auditor), [], URL + "?page_size=10&action=bulk.*"
    while url:
        page = client.get(url).json()
        assert "count" not in page
        seen += [event["seq"] for event in page["results"]]
        url = page["next"]

    assert len(seen) == 25 and seen == sorted(seen, reverse=True)


@pytest.fixture
def two_runs(event_at) -> None:
    # Made before the auditor (whose group membership is an event too): time only goes forward.
    day = datetime(2026, 4, 1, 12, tzinfo=UTC)
    event_at(day, action="run.succeeded", workflow_id=7)
    event_at(day + timedelta(days=1), action="run.failed", workflow_id=7)


def test_filters_match_the_admin(two_runs, auditor) -> None:
    client = signed_in(auditor)

    body = client.get(URL, {"workflow": "7", "from": "2026-04-02", "to": "2026-04-02"}).json()
    assert [e["action"] for e in body["results"]] == ["run.failed"]
    event = body["results"][0]
    assert len(event["hash"]) == 64 and event["prev_hash"] != event["hash"]
    assert client.get(URL, {"from": "nope"}).status_code == 400


def test_only_auditors_and_only_reading(auditor, user) -> None:
    assert signed_in(user).get(URL).status_code == 403
    assert Client().get(URL).status_code == 403
    client = signed_in(auditor)
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"action": "forged"}).status_code in (403, 405)
    seq = client.get(URL).json()["results"][0]["seq"]
    assert client.get(f"{URL}{seq}/").json()["seq"] == seq
    assert client.delete(f"{URL}{seq}/").status_code in (403, 405)
