"""Polish: a favicon served by the server, no "View site" link to a 404, and at 1,400 px the run,
execution and step tables fit the page (long errors wrap in their cell) instead of running
past its right edge."""

from __future__ import annotations

import pytest

from tests.console_newuser.conftest import Console
from tests.console_newuser.support import demo_joiner, demo_sample
from tests.support.factories import perform
from workflows.models import Execution, Step
from workflows.services.runs import run_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# How far each table reaches past the box that holds it (0 when it fits).
OVERFLOW = """() => [...document.querySelectorAll('#content-main table, #changelist table')]
  .map(table => {
    let box = table.parentElement;
    while (box && getComputedStyle(box).overflowX === 'visible') box = box.parentElement;
    const right = (box || document.documentElement).getBoundingClientRect().right;
    return Math.max(0, Math.round(table.getBoundingClientRect().right - right));
  })"""
LONG = "connector answered 500: " + "stacktrace-without-spaces-" * 20


def test_favicon_no_dead_view_site_link_and_tables_fit(console: Console) -> None:
    page = console.page
    console.go("/admin/")
    assert page.locator("#user-tools a", has_text="View site").count() == 0
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and icon.startswith("/static/")
    answer = page.request.get(console.url + icon)
    assert answer.status == 200 and "svg" in answer.headers["content-type"]

    version = demo_joiner()
    execution = perform(run_start(workflow=version.workflow, input=demo_sample()))
    Step.objects.filter(execution=execution).update(error=LONG)
    Execution.objects.filter(pk=execution.pk).update(failure_reason=LONG, failed_block="person")
    assert page.viewport_size == {"width": 1400, "height": 900}
    for path in (
        "/admin/workflows/run/",
        "/admin/workflows/execution/",
        f"/admin/workflows/execution/{execution.pk}/change/",
        f"/admin/workflows/run/{execution.run_id}/change/",
    ):
        console.go(path)
        assert max(page.evaluate(OVERFLOW)) == 0, path
    console.go("/admin/workflows/step/")
    assert max(page.evaluate(OVERFLOW)) < 100  # nine columns: the rest scrolls in its box
    console.shot("polish-steps-1400px")
