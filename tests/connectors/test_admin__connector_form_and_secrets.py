"""Connector admin: config entered in inputs generated from the type's JSON Schema and checked
by it; secrets write-only, never shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from connectors.models import Connector, LocalGrant

pytestmark = pytest.mark.django_db
TOKEN = "very-secret-scim-token-42"
CONFIG = {"config__base_url": "https://scim.example.org/v2", "config__auth": "bearer"}


@pytest.fixture
def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-123-pw")
    client = Client()
    client.force_login(user)
    return client


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "hr-scim",
        "type": "scim",
        "description": "",
        "enabled": "on",
        **CONFIG,
        "secret__token": "",
        "secret__password": "",
        "secret__client_secret": "",
    }
    data.update(overrides)
    return data


def test_secret_is_stored_encrypted_and_never_rendered(admin_client: Client) -> None:
    response = admin_client.post("/admin/connectors/connector/add/", form_data(secret__token=TOKEN))
    assert response.status_code == 302, response.content.decode()[:2000]
    connector = Connector.objects.get(name="hr-scim")
    assert connector.get_secrets() == {"token": TOKEN}
    assert TOKEN not in connector.secrets_encrypted

    change = admin_client.get(f"/admin/connectors/connector/{connector.pk}/change/")
    listing = admin_client.get("/admin/connectors/connector/")
    for page in (change, listing):
        assert page.status_code == 200
        assert TOKEN not in page.content.decode()
    assert 'placeholder="********"' in change.content.decode()
    assert "token: ********" in change.content.decode()


def test_blank_keeps_new_value_replaces_and_clear_removes(admin_client: Client) -> None:
    admin_client.post("/admin/connectors/connector/add/", form_data(secret__token=TOKEN))
    connector = Connector.objects.get(name="hr-scim")
    url = f"/admin/connectors/connector/{connector.pk}/change/"

    admin_client.post(url, form_data(description="kept"))
    connector.refresh_from_db()
    assert (connector.description, connector.get_secrets()) == ("kept", {"token": TOKEN})

    admin_client.post(url, form_data(secret__token="a-brand-new-token"))
    connector.refresh_from_db()
    assert connector.get_secrets() == {"token": "a-brand-new-token"}

    admin_client.post(url, form_data(clear__token="on"))
    connector.refresh_from_db()
    assert connector.get_secrets() == {}


def test_config_is_validated_against_the_types_schema(admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/connectors/connector/add/",
        form_data(config__base_url="", config__auth="kerberos", config__token_url="ftp://x"),
    )
    form = response.context["adminform"].form
    assert response.status_code == 200
    assert form.errors["config__base_url"] == ["This field is required."]
    assert "kerberos is not one of the available choices" in form.errors["config__auth"][0]
    assert not Connector.objects.exists()
    response = admin_client.post(
        "/admin/connectors/connector/add/", form_data(config__token_url="ftp://x")
    )
    errors = response.context["adminform"].form.errors["config__token_url"]
    assert errors == ["token_url: 'ftp://x' does not match '^https?://'"]
    assert not Connector.objects.exists()


def test_without_a_type_the_json_box_still_refuses_secrets_in_config(admin_client: Client) -> None:
    from connectors.forms import connector_form_for

    form = connector_form_for(None)(
        data={
            "name": "x",
            "type": "scim",
            "config": '{"base_url": "https://a.example", "token": "put-in-config"}',
        }
    )
    assert not form.is_valid()
    assert "token must go in the credential fields, not config." in form.errors["config"]


def test_the_stored_config_comes_back_in_its_inputs(admin_client: Client) -> None:
    admin_client.post(
        "/admin/connectors/connector/add/",
        form_data(config__verify_tls="false", config__scope="users.read"),
    )
    connector = Connector.objects.get(name="hr-scim")
    assert connector.config == {
        "base_url": "https://scim.example.org/v2",
        "auth": "bearer",
        "verify_tls": False,
        "scope": "users.read",
    }
    page = admin_client.get(f"/admin/connectors/connector/{connector.pk}/change/")
    form = page.context["adminform"].form
    assert form["config__verify_tls"].value() == "false"
    assert form["config__base_url"].value() == "https://scim.example.org/v2"
    assert 'name="config"' not in page.content.decode()  # no raw JSON box


def test_local_grants_are_read_only(admin_client: Client) -> None:
    connector = Connector.objects.create(name="local", type="local")
    grant = LocalGrant.objects.create(
        connector=connector, user="alice", kind="group", value="Trading-Desk"
    )
    assert admin_client.get("/admin/connectors/localgrant/").status_code == 200
    assert admin_client.get("/admin/connectors/localgrant/add/").status_code == 403
    response = admin_client.post(
        f"/admin/connectors/localgrant/{grant.pk}/change/", {"user": "mallory"}
    )
    assert response.status_code == 403
    grant.refresh_from_db()
    assert grant.user == "alice"
