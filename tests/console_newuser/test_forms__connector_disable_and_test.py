"""Server side of the connector page: disabling a connector published workflows use needs a
confirmation (and one nobody uses does not); Test connection is POST-only and permission-checked."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from connectors.access import CONNECTORS
from connectors.models import Connector
from idconfluence.jobs.models import AdminJob
from tests.console_newuser.support import demo_joiner
from tests.support.factories import admin_user
from workflows.selectors import published_workflows_using

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change(client: Client, connector: Connector, **extra: str) -> Any:
    data = {"name": connector.name, "type": connector.type, "description": "", **extra}
    return client.post(f"/admin/connectors/connector/{connector.pk}/change/", data)


def test_disabling_a_used_connector_asks_first() -> None:
    workflow = demo_joiner().workflow
    local = Connector.objects.get(name="local-directory")
    assert published_workflows_using("local-directory") == [workflow]
    client = signed_in(admin_user())
    page = change(client, local)
    assert page.status_code == 200
    assert "Used by 1 published workflow(s)" in page.content.decode()
    local.refresh_from_db()
    assert local.enabled
    assert change(client, local, confirm_disable="on").status_code == 302
    local.refresh_from_db()
    assert not local.enabled


def test_a_connector_no_published_workflow_uses_disables_at_once() -> None:
    demo_joiner(publish=False)  # a draft's blocks do not count
    local = Connector.objects.get(name="local-directory")
    assert published_workflows_using("local-directory") == []
    assert change(signed_in(admin_user()), local).status_code == 302
    local.refresh_from_db()
    assert not local.enabled


def test_test_connection_is_post_only_and_needs_change_rights() -> None:
    local = Connector.objects.create(name="local-directory", type="local")
    url = f"/admin/connectors/connector/{local.pk}/test/"
    admin = signed_in(admin_user())
    assert admin.get(url).status_code == 405
    assert admin.post(url).status_code == 302
    assert AdminJob.objects.count() == 1
    viewer = get_user_model().objects.create_user("val", password="pw", is_staff=True)
    CONNECTORS.grant(viewer, local, ["view"])  # may see it, may not change it
    assert signed_in(viewer).post(url).status_code == 403
    stranger = get_user_model().objects.create_user("sam", password="pw", is_staff=True)
    assert signed_in(stranger).post(url).status_code == 404  # another's connector is absent
    assert AdminJob.objects.count() == 1
