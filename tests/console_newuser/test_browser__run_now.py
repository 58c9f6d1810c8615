"""Run now starts from a sample the workflow can walk (not `{}`); the run page refreshes itself
until its execution finishes; a dry run says so on the run and execution pages, each action reads
as a sentence, and a step's outcome column shows the connector's answer, not `next`."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.console_newuser.conftest import Console
from tests.console_newuser.support import demo_joiner
from tests.support.factories import perform
from workflows.models import Run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dry_run_from_the_sample_refreshes_and_reads_as_sentences(console: Console) -> None:
    page = console.page
    workflow = demo_joiner().workflow
    console.go(f"/admin/workflows/workflow/{workflow.pk}/change/")
    page.click("text=Run now")
    prefilled = json.loads(page.locator("#id_input").input_value())
    assert prefilled["worker"]["userName"] == "jane.doe"  # what the workflow reads, filled in
    page.click("input[name=_dry_run]")
    page.wait_for_url("**/workflows/run/*/change/")
    run = Run.objects.get()
    assert run.dry_run and run.input == prefilled
    assert page.locator("#dry-run-banner").is_visible()
    expect(page.locator("#in-progress")).to_be_visible()

    perform(run)  # a worker finishes it; the open page notices by itself
    expect(page.locator(".field-state .readonly")).to_have_text("Succeeded", timeout=10_000)
    expect(page.locator("#in-progress")).to_have_count(0)
    sentences = page.locator(".field-what_it_did li").all_inner_texts()
    assert "standard_tools: would grant access email+chat+wiki for jane.doe" in sentences
    console.shot("dry-run-finished")

    page.click("#executions-0 a.inlineviewlink")
    page.wait_for_url("**/workflows/execution/*/change/")
    assert page.locator("#dry-run-banner").is_visible()
    outcomes = dict(
        zip(
            page.locator("td.field-block_key").all_inner_texts(),
            page.locator("td.field-result").all_inner_texts(),
            strict=True,
        )
    )
    assert outcomes["standard_tools"] == "would change"
    assert outcomes["by_department"] == "default"  # a logic step: the case it took
    console.shot("dry-run-execution")
