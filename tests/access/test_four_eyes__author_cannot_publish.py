"""Four-eyes publishing: whoever last changed a draft that grants access cannot publish it, by
any path (service, review page, bulk action); another person with `publish` can, and the review
they see holds everything that goes live: the graph diff, the trigger, the connectors and their
health."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from connectors.access import CONNECTORS
from connectors.models import HealthStatus
from idconfluence.access import Denied
from tests.access.conftest import World, joiner, person, signed_in
from tests.access.support import inline_post
from tests.support.documents import block, document, edge
from workflows.access import WORKFLOWS
from workflows.models import FourEyes, Workflow, WorkflowVersion
from workflows.services.versions import (
    FourEyesRefused,
    draft_save,
    version_publish,
    workflow_import,
)
from workflows.status import VersionState

pytestmark = pytest.mark.django_db


def review_url(version: WorkflowVersion) -> str:
    return f"/admin/workflows/workflowversion/{version.pk}/publish/"


def changed_draft(world: World) -> WorkflowVersion:
    """The compliance manager renames the group the joiner gets: a change to review."""
    changed = joiner("my-joiner", "my-directory")
    changed["blocks"][1]["config"]["args"]["group"] = "Staff-EU"
    changed["blocks"][0] = block("start", "trigger", "webhook")
    return draft_save(workflow=world.mine, document=changed, actor=world.people["compliance"])


def test_the_author_is_refused_by_the_service_and_the_page(world: World) -> None:
    author = world.people["compliance"]
    draft = changed_draft(world)
    assert draft.changed_by == author

    with pytest.raises(FourEyesRefused, match="another person with publish permission"):
        version_publish(version=draft, actor=author)

    client = signed_in(author)
    page = client.get(review_url(draft))
    assert page.status_code == 200
    assert b'id="refusal"' in page.content and b'name="_publish"' not in page.content
    refused = client.post(
        review_url(draft), {"change_note": "Staff-EU", "reviewed_checksum": draft.checksum}
    )
    assert refused.status_code == 409
    assert "you changed draft" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT

    # the bulk action goes through the same service
    client.post(
        "/admin/workflows/workflowversion/",
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT
    assert not AuditEvent.objects.filter(action="workflow.published", actor=author).exists()


def test_a_second_person_sees_the_full_review_and_publishes(world: World) -> None:
    draft = changed_draft(world)
    world.my_connector.health_status = HealthStatus.FAILING
    world.my_connector.health_message = "401 Unauthorized from the directory"
    world.my_connector.health_checked_at = timezone.now()
    world.my_connector.save()
    reviewer = person("reviewer", "Compliance managers")
    WORKFLOWS.grant(reviewer, world.mine, ["view", "publish"])

    client = signed_in(reviewer)
    page = client.get(review_url(draft))
    assert page.status_code == 200
    html = page.content.decode()
    review = page.context["review"]
    # the graph diff against the published version
    changes = {(c.key, ch.path) for c in review.diff.blocks_changed for ch in c.changes}
    assert ("add_staff", "config.args.group") in changes and ("start", "type") in changes
    assert "Staff-EU" in html and 'id="diff"' in html
    # the trigger settings, with what they were
    assert review.trigger["type"] == "webhook" and review.previous_trigger["type"] == "manual"
    # the connectors used, with their current health
    (used,) = review.connectors
    assert (used.name, used.operations, used.blocks) == (
        "my-directory",
        ("add_group_member",),
        ("add_staff",),
    )
    assert used.health == "Failing" and "401 Unauthorized" in html
    assert review.four_eyes and review.refusal == ""
    assert 'name="_publish"' in html

    published = client.post(
        review_url(draft),
        {"change_note": "Joiners join Staff-EU", "reviewed_checksum": draft.checksum},
    )
    assert published.status_code == 302
    assert published["Location"] == reverse(
        "admin:workflows_workflow_versions", args=[world.mine.pk]
    )
    draft.refresh_from_db()
    assert (draft.state, draft.published_by) == (VersionState.PUBLISHED, reviewer)
    assert draft.change_note == "Joiners join Staff-EU"


def test_publish_needs_the_publish_permission_even_without_four_eyes(world: World) -> None:
    viewer = person("viewer")
    WORKFLOWS.grant(viewer, world.mine, ["view", "change"])
    assert signed_in(viewer).get(review_url(world.my_draft)).status_code == 403
    with pytest.raises(Denied, match="You may not publish workflow"):
        version_publish(version=world.my_draft, actor=viewer)
    world.my_draft.refresh_from_db()
    assert world.my_draft.state == VersionState.DRAFT


def test_an_inline_edit_makes_the_editor_the_one_who_may_not_publish(world: World) -> None:
    """Block by block in the console counts as changing the draft, as a whole save does."""
    author, editor = world.people["compliance"], person("editor", "Compliance managers")
    WORKFLOWS.grant(editor, world.mine, ["view", "change", "publish"])
    CONNECTORS.grant(editor, world.my_connector, ["use"])
    draft = world.my_draft
    url = f"/admin/workflows/workflowversion/{draft.pk}/change/"
    assert signed_in(editor).get(url).status_code == 200
    data = inline_post(draft, group="Staff-Inline")
    response = signed_in(editor).post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.changed_by == editor
    with pytest.raises(FourEyesRefused):
        version_publish(version=draft, actor=editor)
    assert version_publish(version=draft, actor=author).state == VersionState.PUBLISHED


def test_four_eyes_is_off_by_default_when_no_block_grants_access(world: World) -> None:
    author = world.people["compliance"]
    notify_only = document(
        "notice",
        [
            block("start", "trigger", "manual"),
            block(
                "tell",
                "action",
                "notify",
                connector="my-directory",
                args={"to": "it@acme.example", "subject": "hi", "body": "hello"},
            ),
        ],
        [edge("start", "tell")],
    )
    version = workflow_import(document=notify_only, actor=author)
    assert version.workflow.four_eyes == FourEyes.AUTO
    assert version_publish(version=version, actor=author).state == VersionState.PUBLISHED

    version.workflow.four_eyes = FourEyes.ON
    version.workflow.save()
    again = draft_save(workflow=version.workflow, document=notify_only, actor=author)
    with pytest.raises(FourEyesRefused):
        version_publish(version=again, actor=author)


def test_an_owner_cannot_switch_four_eyes_off(world: World) -> None:
    """Else the author would turn the control off and publish their own draft."""
    owner = world.people["compliance"]
    url = f"/admin/workflows/workflow/{world.mine.pk}/change/"
    page = signed_in(owner).get(url)
    assert "four_eyes" not in page.context["adminform"].form.fields
    signed_in(owner).post(
        url,
        {
            "slug": "my-joiner",
            "name": "My Joiner (EU)",
            "description": "",
            "enabled": "on",
            "four_eyes": FourEyes.OFF,
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
        },
    )
    world.mine.refresh_from_db()
    assert (world.mine.name, world.mine.four_eyes) == ("My Joiner (EU)", FourEyes.AUTO)


def test_the_demo_loads_with_four_eyes_on(db: None) -> None:
    """`make run` loads a joiner (it grants access) for a fresh install's one person."""
    call_command("load_demo", "--no-run", stdout=io.StringIO())
    version = Workflow.objects.get(slug="joiner-standard-access").published_version
    assert version is not None and version.published_by is None


def test_a_draft_changed_after_the_review_is_not_published(world: World) -> None:
    """The reviewer saw one graph; the author saved another meanwhile: nothing goes live."""
    draft = changed_draft(world)
    reviewer = person("reviewer", "Compliance managers")
    WORKFLOWS.grant(reviewer, world.mine, ["view", "publish"])
    client = signed_in(reviewer)
    seen = client.get(review_url(draft)).context["review"].version.checksum

    sneaky = joiner("my-joiner", "my-directory")
    sneaky["blocks"][1]["config"]["args"]["group"] = "Domain-Admins"
    draft_save(workflow=world.mine, document=sneaky, actor=world.people["compliance"])

    refused = client.post(review_url(draft), {"change_note": "Staff-EU", "reviewed_checksum": seen})
    assert refused.status_code == 409
    assert "after you reviewed it" in refused.content.decode()
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT
