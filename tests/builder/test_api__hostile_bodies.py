"""Every builder endpoint that takes a body answers a hostile one with a 4xx JSON message and
changes nothing: never a 500, never a half-written draft, version or run."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from workflows.models import Run, Workflow, WorkflowVersion

from .conftest import API

pytestmark = pytest.mark.django_db

BODIES = [
    b"",
    b"not json",
    b"null",
    b"[1, 2]",
    b'"a string"',
    b"{" * 3000 + b"}" * 3000,
    b'{"a": NaN}',
    b'{"a": 1e999}',
    b'{"a": 1, "a": 2}',
    b'{"source": "\\u0000", "document": {"blocks": [{"key": "\\u0000"}]}, "input": {"\\u0000": 1}}',
    b'{"revision": {"$gt": ""}, "document": [], "note": ["x"], "input": "x", "run_id": -1}',
    b'{"kind": {}, "type": [], "config": "x", "source": "' + b"(" * 900 + b'", "mode": "value"}',
    b'{"source": "event.items.map(x, x).map(y, y)", "sample": {"items": [1, 2]}}',
    b"\xff\xfe\x00",
]
ENDPOINTS = [
    ("put", "workflows/{pk}/draft/"),
    ("post", "workflows/{pk}/draft/validate/"),
    ("post", "workflows/{pk}/draft/publish/"),
    ("post", "workflows/{pk}/dry-run/"),
    ("post", "block-types/outcomes/"),
    ("post", "expressions/check/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_hostile_bodies_are_refused_cleanly(
    api: APIClient, joiner: Workflow, method: str, path: str
) -> None:
    opened = api.get(f"{API}workflows/{joiner.pk}/draft/").json()
    versions = list(WorkflowVersion.objects.values_list("pk", "state", "checksum"))
    url = API + path.format(pk=joiner.pk)
    for body in BODIES:
        response = getattr(api, method)(url, body, content_type="application/json")
        assert response.status_code < 500, (body[:60], response.content[:300])
        if response.status_code >= 400:
            assert json.loads(response.content), body[:60]  # a message saying what was wrong
    assert api.get(f"{API}workflows/{joiner.pk}/draft/").json()["revision"] == opened["revision"]
    assert list(WorkflowVersion.objects.values_list("pk", "state", "checksum")) == versions
    assert not Run.objects.exists()
