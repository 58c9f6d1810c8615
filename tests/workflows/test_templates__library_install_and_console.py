"""The template library (workflows/library/): every template imports as a draft and publishes once
its connectors exist; `install_templates` twice changes nothing; *New from template* in the console
lists each template with its description, makes a new workflow with a draft from the chosen one,
and refuses a taken slug or an unknown template next to the field, writing nothing; a user who may
not add workflows gets a 403."""

from __future__ import annotations

from html import escape
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from audit.models import AuditEvent
from connectors.models import Connector
from tests.support.factories import admin_user
from workflows.models import Workflow, WorkflowVersion
from workflows.services.templates import (
    TemplateRefused,
    template_get,
    template_list,
    templates_install,
    workflow_from_template,
)

pytestmark = pytest.mark.django_db
EXPECTED = {
    "contractor-expiry",
    "joiner",
    "leaver",
    "market-hours-close",
    "market-hours-open",
    "mover",
    "quarterly-access-review",
    "role-grant-approval",
}
URL = "/admin/workflows/workflow/from-template/"


def connectors() -> None:
    Connector.objects.create(
        name="scim-directory", type="scim", config={"base_url": "http://127.0.0.1:9/v2"}
    )
    Connector.objects.create(
        name="ldap-directory",
        type="ldap",
        config={
            "url": "ldap://127.0.0.1:9",
            "bind_dn": "cn=admin,dc=example,dc=com",
            "base_dn": "dc=example,dc=com",
        },
    )
    Connector.objects.create(name="mail", type="email", config={})


def test_the_library_holds_the_templates_customers_ask_for_first() -> None:
    assert {t.name for t in template_list()} == EXPECTED
    for template in template_list():
        assert template.description and template.title


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_template_imports_and_publishes_once_its_connectors_exist(name: str) -> None:
    connectors()
    [installed] = templates_install(actor=None, names=[name], publish=True)
    assert installed.note == "published", installed.note
    assert installed.version is not None and installed.version.state == "published"


def test_without_its_connectors_a_template_stays_a_draft_saying_why() -> None:
    [installed] = templates_install(actor=None, names=["mover"], publish=True)
    assert installed.version is not None and installed.version.state == "draft"
    assert "connector 'scim-directory' does not exist" in installed.note


def test_install_twice_changes_nothing() -> None:
    out = StringIO()
    call_command("install_templates", stdout=out)
    assert out.getvalue().count(": draft") == len(EXPECTED)
    versions = WorkflowVersion.objects.count()
    out = StringIO()
    call_command("install_templates", stdout=out)
    assert out.getvalue().count("already installed") == len(EXPECTED)
    assert WorkflowVersion.objects.count() == versions == len(EXPECTED)


def test_an_unknown_template_name_is_a_command_error_listing_the_names() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=r"no template named 'joinr'.*joiner"):
        call_command("install_templates", "joinr")
    assert not Workflow.objects.exists()


def test_a_template_never_adds_a_draft_to_an_existing_workflow() -> None:
    workflow_from_template(template=template_get("joiner"), slug="hr", name="HR", actor=None)
    with pytest.raises(TemplateRefused, match="'hr' already exists"):
        workflow_from_template(template=template_get("leaver"), slug="hr", name="X", actor=None)
    assert Workflow.objects.get(slug="hr").versions.count() == 1


def test_the_console_lists_the_templates_and_makes_a_workflow_from_one() -> None:
    client = Client()
    client.force_login(admin_user())
    listing = client.get("/admin/workflows/workflow/")
    assert URL in listing.content.decode() and "New from template" in listing.content.decode()
    page = client.get(URL).content.decode()
    for template in template_list():
        assert escape(template.title) in page and escape(template.description) in page

    answer = client.post(URL, {"template": "mover", "name": "Movers EMEA", "slug": "movers-emea"})
    assert answer.status_code == 302, answer.content.decode()
    workflow = Workflow.objects.get(slug="movers-emea")
    draft = workflow.versions.get()
    assert (workflow.name, draft.state) == ("Movers EMEA", "draft")
    assert answer["Location"].endswith(f"/admin/workflows/workflowversion/{draft.pk}/change/")
    assert set(draft.blocks.values_list("key", flat=True)) == {
        b["key"] for b in template_get("mover").document["blocks"]
    }
    assert AuditEvent.objects.filter(action="workflow.imported").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"template": "mover", "name": "x", "slug": "taken"}, "slug", "already exists"),
        ({"template": "mover", "name": "x", "slug": "not a slug!"}, "slug", "Enter a valid"),
        ({"template": "nope", "name": "x", "slug": "fine"}, "template", "Select a valid choice"),
        ({"name": "x", "slug": "fine"}, "template", "This field is required"),
        (
            {"template": "mover", "name": "bell\x07name", "slug": "fine"},
            "name",
            "Control characters",
        ),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_writes_nothing(
    data: dict[str, str], field: str, message: str
) -> None:
    Workflow.objects.create(slug="taken", name="Taken")
    client = Client()
    client.force_login(admin_user())
    answer = client.post(URL, data)
    assert answer.status_code == 200
    assert message in " ".join(answer.context["form"].errors[field])
    assert list(Workflow.objects.values_list("slug", flat=True)) == ["taken"]
    assert not WorkflowVersion.objects.exists()


def test_a_user_who_may_not_add_workflows_is_refused() -> None:
    user = get_user_model().objects.create_user("viewer", "v@acme.example", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_workflow"))
    client = Client()
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"template": "mover", "name": "x", "slug": "x"}).status_code == 403
    assert "New from template" not in client.get("/admin/workflows/workflow/").content.decode()
    assert not Workflow.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_taking_one_slug_at_once_get_one_workflow_and_one_refusal() -> None:
    from tests.triggers.conftest import concurrently

    def make() -> str:
        try:
            workflow_from_template(template=template_get("mover"), slug="x", name="X", actor=None)
        except TemplateRefused as exc:
            return str(exc)
        return "made"

    for _ in range(5):
        Workflow.objects.filter(slug="x").delete()
        assert sorted(concurrently(make, 2)) == [
            "a workflow with the slug 'x' already exists",
            "made",
        ]
        assert Workflow.objects.get(slug="x").versions.count() == 1
