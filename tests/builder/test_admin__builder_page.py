"""The builder's admin page: linked from the workflow list and change page, loads only the
product's own bundle (no inline script, so the CSP holds), and is refused to non-viewers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from workflows.models import Workflow

from .conftest import person

pytestmark = pytest.mark.django_db
BUNDLE = Path(__file__).resolve().parents[2] / "workflows" / "static" / "workflows" / "builder"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_loads_the_committed_bundle_and_no_inline_script(joiner: Workflow) -> None:
    client = signed_in(person("bea", "workflows.view_workflow", "workflows.change_workflow"))
    page = client.get(f"/admin/workflows/workflow/{joiner.pk}/builder/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<script type="module" src="/static/workflows/builder/builder.js">' in html
    assert 'href="/static/workflows/builder/builder.css"' in html
    assert f'data-workflow-id="{joiner.pk}"' in html and 'data-csrf-token="' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file
    assert "script-src 'self'" in page["Content-Security-Policy"]
    bundle = (BUNDLE / "builder.js").read_text()
    assert "new Function(" not in bundle and "eval(" not in bundle  # runs without unsafe-eval


def test_the_list_and_change_page_link_to_the_builder(joiner: Workflow) -> None:
    client = signed_in(person("bo", "workflows.view_workflow", "workflows.change_workflow"))
    link = f'href="/admin/workflows/workflow/{joiner.pk}/builder/"'
    assert link in client.get("/admin/workflows/workflow/").content.decode()
    assert link in client.get(f"/admin/workflows/workflow/{joiner.pk}/change/").content.decode()


def test_people_who_may_not_view_the_workflow_are_refused(joiner: Workflow) -> None:
    client = signed_in(person("nobody"))  # another's workflow: not there for them
    assert client.get(f"/admin/workflows/workflow/{joiner.pk}/builder/").status_code == 404
    viewer = signed_in(person("bo2", "workflows.view_workflow"))
    assert viewer.get("/admin/workflows/workflow/999999/builder/").status_code == 404
