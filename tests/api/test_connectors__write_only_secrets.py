"""Connectors over the API: secrets are write-only (never in an answer, the audit log or the
list), a value sets, null clears, a name left out keeps; a config the type's schema refuses, a
secret put in config or a secret the type does not have is a 400 by field, and nothing is saved."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from connectors.models import Connector
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/connectors/"
SECRET = "tok-NEVER-shown-4711"


@pytest.fixture
def api():
    admin = get_user_model().objects.create_superuser("root", "root@acme.example", "pw-Root-1")
    return client_for(admin)


def rest(**extra):
    return {
        "name": "hr-api",
        "type": "rest",
        "config": {"base_url": "https://hr.example/api", "auth": "bearer", "operations": {}},
        **extra,
    }


def test_secrets_go_in_and_never_come_out(api) -> None:
    created = api.post(URL, rest(secrets={"token": SECRET}), format="json")
    assert created.status_code == 201, created.content
    connector = Connector.objects.get(name="hr-api")
    assert connector.get_secrets() == {"token": SECRET}
    answers = [
        created,
        api.get(URL),
        api.get(f"{URL}{connector.pk}/"),
        api.patch(f"{URL}{connector.pk}/", {"description": "HR"}, format="json"),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201)
        assert SECRET not in answer.content.decode()
    assert answers[2].json()["secrets_set"] == ["token"]
    assert connector.get_secrets() == Connector.objects.get(pk=connector.pk).get_secrets()
    events = AuditEvent.objects.filter(target_type="connectors.connector")
    actions = set(events.values_list("action", flat=True))
    assert {"connector.created", "connector.changed"} <= actions
    assert SECRET not in json.dumps(list(events.values_list("details", flat=True)))

    cleared = api.patch(f"{URL}{connector.pk}/", {"secrets": {"token": None}}, format="json")

    assert cleared.json()["secrets_set"] == []
    assert Connector.objects.get(pk=connector.pk).get_secrets() == {}


BAD = {
    "config against the type's schema": (rest(config={"auth": "bearer"}), "config"),
    "a secret in config": (
        rest(config={"base_url": "https://hr.example", "auth": "bearer", "token": SECRET}),
        "config",
    ),
    "a secret the type does not have": (rest(secrets={"api_key": SECRET}), "secrets"),
    "an unknown type": ({"name": "x", "type": "mainframe"}, "type"),
    "a bad name": ({"name": "Not A Name!", "type": "local"}, "name"),
}


@pytest.mark.parametrize(("body", "field"), BAD.values(), ids=BAD.keys())
def test_bad_connectors_are_a_400_by_field_and_nothing_is_saved(api, body, field) -> None:
    response = api.post(URL, body, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert SECRET not in response.content.decode()
    assert not Connector.objects.exists()


def test_the_type_cannot_change(api) -> None:
    created = api.post(URL, {"name": "directory", "type": "local"}, format="json").json()
    api.patch(f"{URL}{created['id']}/", {"type": "rest"}, format="json")
    assert Connector.objects.get(pk=created["id"]).type == "local"
