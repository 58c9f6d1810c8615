"""Runs are found by the person they concern (a userName, email or event id typed into the run
list's search box) and are named after that person and their time, not "run 4 of 1"."""

from __future__ import annotations

import re

import pytest

from tests.console_newuser.conftest import Console
from tests.console_newuser.support import demo_joiner, demo_sample
from workflows.services.runs import run_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_search_runs_by_person_and_event(console: Console) -> None:
    page = console.page
    workflow = demo_joiner().workflow
    hire = run_start(workflow=workflow, input=demo_sample("workday-hire"))
    leave = run_start(workflow=workflow, input=demo_sample("workday-termination"))
    console.go("/admin/workflows/run/")
    for term, run in (
        ("jane.doe", hire),
        ("li.wei@acme.example", leave),
        ("c0a8017e-3b2f-4d6c-a9e1-88f2d4c6b1e3", leave),
    ):
        page.fill("#searchbar", term)
        page.press("#searchbar", "Enter")
        page.wait_for_load_state()
        names = page.locator("#result_list td.field-name, #result_list th.field-name")
        assert names.all_inner_texts() == [str(run)], term
    [name] = names.all_inner_texts()
    assert re.fullmatch(
        rf"Joiner: standard access #{leave.pk} for li\.wei, \d{{4}}-\d\d-\d\d \d\d:\d\d", name
    )
    console.shot("runs-found-by-person")
