"""The run page draws the version's graph with the path taken lit, each step's details a click
away, its executions in order; a run with a parked execution reads "needs review" and has its
own filter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.console.support import failing_workflow, park
from tests.support.documents import four_step
from tests.support.factories import admin_user, journal_connector, perform, published
from workflows.services.runs import run_start

pytestmark = pytest.mark.django_db(transaction=True)


def marked(page: str) -> dict[str, str]:
    return {key: css for css, key in re.findall(r'<g class="node ?(\w*)" id="block-(\w+)"', page)}


def test_a_succeeded_run_lights_the_blocks_and_edges_it_took(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    perform(run)
    client = Client()
    client.force_login(admin_user())
    page = client.get(f"/admin/workflows/run/{run.pk}/change/").content.decode()
    assert marked(page) == {
        "start": "lit",
        "is_joiner": "lit",
        "add_staff": "lit",
        "notify": "lit",
        "skip": "",  # the false branch was not taken
    }
    assert 'class="edge lit" data-edge="is_joiner:true:add_staff"' in page
    assert 'class="edge" data-edge="is_joiner:false:skip"' in page
    assert f'href="/admin/workflows/workflowversion/{version.pk}/change/">v1</a>' in page
    steps = re.findall(r'<details class="step step-(\w+)" id="step-1-(\d+)">', page)
    assert steps == [("succeeded", "1"), ("succeeded", "2"), ("succeeded", "3"), ("succeeded", "4")]
    assert "outcome <strong>true</strong>" in page
    assert "&#x27;group&#x27;: &#x27;Staff&#x27;" in page  # the step's input, escaped
    assert "No approval was asked in this run." in page


def test_a_parked_run_shows_the_failed_block_and_needs_review(tmp_path: Path) -> None:
    execution = park(failing_workflow(tmp_path), "jo")
    journal_connector(tmp_path, name="ok")
    fine = published(four_step("fine", connector="ok"))
    ok_run = run_start(workflow=fine.workflow, input={"type": "HIRE", "user": "al"})
    perform(ok_run)
    client = Client()
    client.force_login(admin_user())
    page = client.get(f"/admin/workflows/run/{execution.run_id}/change/").content.decode()
    assert marked(page)["add_staff"] == "failed"
    assert '<span id="run-state" class="state-failed">needs review</span>' in page
    assert f'href="/admin/workflows/parkedexecution/{execution.pk}/change/"' in page
    listing = client.get("/admin/workflows/run/").content.decode()
    assert listing.count('class="needs-review"') == 1
    version = execution.run.version_id
    assert (
        f'<a class="run-version" href="/admin/workflows/workflowversion/{version}/change/">v1</a>'
        in listing
    )
    needed = client.get("/admin/workflows/run/", {"review": "needed"}).content.decode()
    ids = re.findall(r'href="/admin/workflows/run/(\d+)/change/', needed)
    assert set(ids) == {str(execution.run_id)}
    none = client.get("/admin/workflows/run/", {"review": "none"}).content.decode()
    assert set(re.findall(r'href="/admin/workflows/run/(\d+)/change/', none)) == {str(ok_run.pk)}
