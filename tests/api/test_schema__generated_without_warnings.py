"""The OpenAPI 3 schema is generated with warnings as errors and validated; it is served at
/api/v1/schema/ and read by Swagger UI and Redoc from local files (no CDN)."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db


def test_generating_the_schema_raises_no_warning_and_it_validates(tmp_path) -> None:
    out = tmp_path / "schema.yaml"
    errors = StringIO()
    call_command(
        "spectacular", "--fail-on-warn", "--validate", "--file", str(out), stderr=errors
    )  # raises (SchemaGenerationError, or a validation error) on any warning
    text = out.read_text()
    assert "/api/v1/workflows/{id}/publish/" in text and "apiToken" in text
    assert "/api/audit/" not in text  # the session-only mount stays out of the contract


def test_the_schema_documents_the_list_filters(client: Client) -> None:
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    names = {
        path: {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}
        for path in ("/api/v1/runs/", "/api/v1/executions/", "/api/v1/audit/events/")
    }
    assert {"workflow", "state", "created_after", "created_before"} <= names["/api/v1/runs/"]
    assert {"workflow", "run", "state", "queued_after"} <= names["/api/v1/executions/"]
    assert {"from", "to", "actor", "action", "workflow"} <= names["/api/v1/audit/events/"]
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_readers_load_only_local_assets(admin_client: Client, page: str) -> None:
    response = admin_client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        if asset.startswith("/static/"):
            assert admin_client.get(asset).status_code == 200, asset
