"""Connectors: the form comes from the type's schema (no raw JSON), secrets stay write-only,
Test connection is a button on the change page, and disabling a connector that published
workflows use lists them and asks for a confirmation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from connectors.models import Connector
from tests.console_newuser.conftest import Console
from tests.console_newuser.support import demo_joiner
from tests.support.jobs import run_open_items

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TOKEN = "tok-never-shown-4711"


def test_schema_form_test_button_and_disable_warning(console: Console) -> None:
    page = console.page
    console.go("/admin/connectors/connector/add/")
    assert page.locator("textarea[name=config]").count() == 1  # no type yet: nothing to generate
    page.select_option("#id_type", "scim")
    page.wait_for_url("**/add/?type=scim")
    assert page.locator("textarea[name=config]").count() == 0
    page.fill("#id_name", "hr-scim")
    page.fill("#id_config__base_url", "not a url")
    page.select_option("#id_config__auth", "bearer")
    page.fill("#id_secret__token", TOKEN)
    page.click("input[name=_continue]")
    error = page.locator(".field-config__base_url .errorlist").inner_text()
    assert "does not match '^https?://'" in error
    page.fill("#id_config__base_url", "https://scim.acme.example/v2")
    page.fill("#id_secret__token", TOKEN)
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    scim = Connector.objects.get(name="hr-scim")
    assert scim.config == {"base_url": "https://scim.acme.example/v2", "auth": "bearer"}
    assert TOKEN not in page.content()
    console.shot("connector-schema-form")

    workflow = demo_joiner().workflow
    local = Connector.objects.get(name="local-directory")
    console.go(f"/admin/connectors/connector/{local.pk}/change/")
    assert page.locator("#used-by li").all_inner_texts() == [workflow.name]
    page.click("#test-connection")
    page.wait_for_url("**/jobs/adminjob/*/change/")
    run_open_items()  # a worker picks the test up; the progress page refreshes by itself
    expect(page.locator("#job-summary")).to_have_text("1 done, 0 failed, 0 remaining")

    console.go(f"/admin/connectors/connector/{local.pk}/change/")
    page.uncheck("#id_enabled")
    page.click("input[name=_continue]")
    warning = page.locator(".field-enabled .errorlist").inner_text()
    assert f"Used by 1 published workflow(s): {workflow.name}" in warning
    local.refresh_from_db()
    assert local.enabled  # not until confirmed
    page.uncheck("#id_enabled")
    page.check("#id_confirm_disable")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    local.refresh_from_db()
    assert not local.enabled
    console.shot("connector-disabled-after-confirmation")
