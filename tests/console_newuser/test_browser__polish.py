"""Polish: a favicon served by the server, no "View site" link to a 404, and wide tables that
scroll inside their box at 1,400 px instead of being cut off."""

from __future__ import annotations

import pytest

from tests.console_newuser.conftest import Console
from tests.console_newuser.support import demo_joiner, demo_sample
from tests.support.factories import perform
from workflows.services.runs import run_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUT_OFF = """() => [...document.querySelectorAll('#content table')].filter(table => {
  let box = table.parentElement;
  while (box && getComputedStyle(box).overflowX === 'visible') box = box.parentElement;
  const right = table.getBoundingClientRect().right;
  const scrolls = box && ['auto', 'scroll'].includes(getComputedStyle(box).overflowX);
  return right > window.innerWidth && !scrolls;
}).length"""


def test_favicon_no_dead_view_site_link_and_tables_scroll(console: Console) -> None:
    page = console.page
    console.go("/admin/")
    assert page.locator("#user-tools a", has_text="View site").count() == 0
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and icon.startswith("/static/")
    answer = page.request.get(console.url + icon)
    assert answer.status == 200 and "svg" in answer.headers["content-type"]
    version = demo_joiner()
    execution = perform(run_start(workflow=version.workflow, input=demo_sample()))
    for path in (
        "/admin/workflows/step/",
        "/admin/workflows/run/",
        f"/admin/workflows/execution/{execution.pk}/change/",
    ):
        console.go(path)
        assert page.evaluate(CUT_OFF) == 0, path
    console.shot("polish-steps-1400px")
