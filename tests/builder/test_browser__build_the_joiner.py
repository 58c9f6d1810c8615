"""In headless Chromium: build the seed's joiner workflow on the canvas (drag blocks from the
palette, connect outcome handles, configure each in the side panel), save, see the validation
error on the unconnected branch, fix it, publish with a note, dry-run the hire sample and see
the path lit with what each action would do. Nothing may load from outside the server.
Screenshots go to build/test-artifacts/builder/."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from guardian.shortcuts import assign_perm

from connectors.models import Connector, LocalGrant
from workflows import documents
from workflows.models import FourEyes, Workflow

from .browser import browser_page, drop_block, wire

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERMS = (
    "workflows.view_workflow",
    "workflows.change_workflow",
    "workflows.publish_workflow",
    "workflows.run_workflow",
    "connectors.use_connector",
)
# (kind, type, key, label, x, y): top-left corners inside the canvas, clear of the trigger
# (fitView puts it in the middle) and of the edges, where a connection being drawn auto-pans.
BLOCKS = [
    ("logic", "set", "person", "Who is joining", 60, 30),
    ("action", "provision_access", "standard_tools", "Standard tools", 300, 30),
    ("logic", "switch", "by_department", "Department", 540, 30),
    ("action", "add_group_member", "finance_group", "Finance analysts", 780, 30),
    ("action", "add_group_member", "staff_group", "All staff", 780, 230),
    ("logic", "condition", "risky", "Risk score over 30?", 60, 230),
    ("action", "assign_role", "flag_review", "Flag for access review", 300, 230),
    ("logic", "noop", "done", "Done", 60, 520),
]
WIRES = [
    ("start", "next", "person"),
    ("person", "next", "standard_tools"),
    ("standard_tools", "next", "by_department"),
    ("by_department", "Finance", "finance_group"),
    ("by_department", "default", "staff_group"),
    ("finance_group", "next", "risky"),
    ("risky", "true", "flag_review"),
]


def editor(username: str) -> Any:
    user = get_user_model().objects.create_user(username, f"{username}@acme.example", "pw-1-Aa!")
    user.is_staff = True
    user.save()
    for perm in PERMS:
        assign_perm(perm, user)
    return user


def fill(page: Any, selector: str, text: str) -> None:
    page.locator(f".idc-panel {selector}").fill(text)


def configure(page: Any, key: str, label: str) -> None:
    fill(page, "#idc-block-key", key)
    fill(page, "#idc-block-label", label)


def set_values(page: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(".idc-panel #root_values > .row button[title=Add]").click()
        key_input = page.locator(".idc-panel #root_values_newKey-key")
        key_input.fill(name)
        key_input.blur()
        fill(page, f"#root_values_{name}", value)


def action(page: Any, args: dict[str, str]) -> None:
    page.locator(".idc-panel #root_connector").select_option("local-directory")
    for name, value in args.items():
        fill(page, f"#root_args_{name}", value)


def node(page: Any, key: str) -> Any:
    return page.locator(f"[data-testid=block-{key}]")


def classes(page: Any, key: str) -> str:
    return str(node(page, key).get_attribute("class") or "")


def test_build_the_joiner_on_the_canvas(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    Connector.objects.create(name="local-directory", type="local")
    # One person builds and publishes here; four-eyes (a second publisher) is attacked in
    # tests/access/test_four_eyes__author_cannot_publish.py.
    workflow = Workflow.objects.create(
        slug="joiner-built", name="Joiner built in the builder", four_eyes=FourEyes.OFF
    )
    with (
        sync_api.sync_playwright() as playwright,
        browser_page(playwright, live_server, editor("erin")) as watched,
    ):
        page = watched.page
        page.goto(f"{live_server.url}/admin/workflows/workflow/")
        page.get_by_role("link", name="Open builder").click()
        node(page, "start").wait_for()  # a new workflow opens with a trigger-only draft
        page.get_by_label("Sample payload").select_option("sample:workday-hire")  # for previews

        for kind, type_, key, label, x, y in BLOCKS:
            drop_block(page, kind, type_, x, y)
            node(page, type_).wait_for()  # dropped and selected: the side panel shows it
            configure(page, key, label)
            node(page, key).wait_for()
            if key == "person":
                set_values(
                    page,
                    {
                        "user": "=event.worker.userName",
                        "department": "=event.worker.organization.name",
                        "risk": "=event.worker.riskScore",
                    },
                )
            elif key == "standard_tools":
                action(page, {"user": "=person.user", "resource": "email+chat+wiki"})
            elif key == "by_department":
                fill(page, "#root_expression", "person.department")
                page.locator(".idc-panel #root_cases button[title=Add]").click()
                fill(page, "#root_cases_0", "Finance")
                node(page, key).locator("[data-outcome=Finance]").wait_for()  # handle from config
            elif key == "finance_group":
                action(page, {"user": "=person.user", "group": "Finance-Analysts"})
            elif key == "staff_group":
                action(page, {"user": "=person.user", "group": "Staff"})
            elif key == "risky":
                fill(page, "#root_expression", "person.risk >")
                error = page.locator(".idc-panel .idc-expression-error")
                error.wait_for()  # checked as you type by the server's compiler
                assert "Column 14" in error.inner_text()
                fill(page, "#root_expression", "event.worker.riskScore > 30")
                page.locator(".idc-panel .idc-expression-ok").wait_for()
                assert "Preview: true" in page.locator(".idc-panel .idc-expression-ok").inner_text()
                fill(page, "#root_expression", "person.risk > 30")
            elif key == "flag_review":
                action(page, {"user": "=person.user", "role": "quarterly-access-review"})
        page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})  # deselect
        watched.shot("0-placed")
        for source, outcome, target in WIRES:
            wire(page, source, outcome, target)
        edges = page.eval_on_selector_all(
            ".react-flow__edge", "es => es.map(e => e.dataset.testid)"
        )
        assert len(edges) == len(WIRES), edges
        page.get_by_role("button", name="Auto-layout").click()
        watched.shot("1-built")

        page.get_by_role("button", name="Save").click()
        page.locator("#idc-message.idc-ok").wait_for()
        page.get_by_role("button", name="Validate").click()
        page.locator("#idc-message.idc-error").wait_for()
        risky_issues = node(page, "risky").locator(".idc-node-issue")
        assert "outcome 'false' is not connected" in risky_issues.inner_text()
        assert "not reachable" in node(page, "done").locator(".idc-node-issue").inner_text()
        watched.shot("2-validation-error")

        wire(page, "risky", "false", "done")
        page.get_by_role("button", name="Save").click()
        page.locator("#idc-message.idc-ok").wait_for()
        page.get_by_role("button", name="Validate").click()
        page.get_by_text("No problems").wait_for()
        assert node(page, "risky").locator(".idc-node-issue").count() == 0

        page.get_by_role("button", name="Publish…").click()
        page.locator("#idc-publish-note").fill("The joiner, drawn in the builder")
        page.get_by_role("button", name="Publish now").click()
        page.get_by_text("Published as v1").wait_for()

        page.get_by_role("button", name="Dry run", exact=True).click()
        page.locator("#idc-message").get_by_text("succeeded").wait_for()
        lit = {key for _, _, key, *_ in BLOCKS if "idc-on-path" in (classes(page, key))}
        assert lit == {
            "person",
            "standard_tools",
            "by_department",
            "finance_group",
            "risky",
            "flag_review",
        }
        assert "idc-on-path" in classes(page, "start")
        assert (
            node(page, "flag_review").locator(".idc-node-would").inner_text()
            == "would grant role quarterly-access-review for jane.doe"
        )
        assert page.locator(".react-flow__edge.idc-edge-path").count() == 6
        watched.shot("3-dry-run-path")

        assert watched.outside() == []
        assert {"script", "stylesheet"} <= watched.assets()
        assert not [e for e in watched.errors if "favicon" not in e and "404" not in e], (
            watched.errors
        )

    published = workflow.published_version
    assert published is not None and published.number == 1
    document = documents.version_document(published)
    assert {b["key"] for b in document["blocks"]} == {"start"} | {key for _, _, key, *_ in BLOCKS}
    assert {(e["from"], e["outcome"], e["to"]) for e in document["edges"]} == {
        *WIRES,
        ("risky", "false", "done"),
    }
    person = next(b for b in document["blocks"] if b["key"] == "person")
    assert person["config"]["values"]["department"] == "=event.worker.organization.name"
    assert not LocalGrant.objects.exists()  # the dry run changed nothing
