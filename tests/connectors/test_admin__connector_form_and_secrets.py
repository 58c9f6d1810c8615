"""Connector admin: config checked by the type's JSON Schema; secrets write-only, never shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from connectors.models import Connector, LocalGrant

pytestmark = pytest.mark.django_db
TOKEN = "very-secret-scim-token-42"
CONFIG = '{"base_url": "https://scim.example.org/v2", "auth": "bearer"}'


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
        "config": CONFIG,
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
        form_data(config='{"auth": "kerberos", "token": "put-in-config"}'),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "&#x27;base_url&#x27; is a required property" in page
    assert "auth: &#x27;kerberos&#x27; is not one of" in page
    assert "token must go in the credential fields, not config." in page
    assert not Connector.objects.exists()


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
