"""`connector_test` (the admin's Test connection action) and `manage.py rotate_keys`."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, override_settings

from audit.models import AuditEvent
from connectors.access import CONNECTORS
from connectors.models import Connector, HealthStatus
from connectors.services import connector_test
from tests.connectors.servers import ScimServer
from tests.support.jobs import run_open_items

pytestmark = pytest.mark.django_db


def scim_connector(server: ScimServer, token: str) -> Connector:
    connector = Connector(name="hr-scim", type="scim", config=server.config())
    connector.set_secrets({"token": token})
    connector.save()
    return connector


@pytest.mark.servers
def test_connection_test_stores_health_and_audits_it(scim_server: ScimServer) -> None:
    user = get_user_model().objects.create_user("operator")
    connector = scim_connector(scim_server, scim_server.token)
    CONNECTORS.grant(user, connector, ["change"])  # a test records health: `change` on it

    result = connector_test(connector=connector, actor=user)

    connector.refresh_from_db()
    assert result.ok
    assert connector.health_status == HealthStatus.OK
    assert connector.health_message.startswith("SCIM service answers")
    assert connector.health_checked_at is not None
    [event] = AuditEvent.objects.filter(action="connector.health_checked")
    assert (event.actor_id, event.target_id) == (user.pk, str(connector.pk))
    assert event.details["status"] == "ok"


@pytest.mark.servers
def test_admin_action_marks_a_wrong_token_failing_and_the_list_shows_it(
    scim_server: ScimServer,
) -> None:
    admin = get_user_model().objects.create_superuser("root", "r@example.org", "pw-123-pw")
    client = Client()
    client.force_login(admin)
    connector = scim_connector(scim_server, "stale-token-9999")

    response = client.post(
        "/admin/connectors/connector/",
        {
            "action": "test_connection",
            "_selected_action": [connector.pk],
        },
    )
    assert response.status_code == 302  # to the job's progress page: the test runs in a task
    assert run_open_items() == ["failed"]

    connector.refresh_from_db()
    assert connector.health_status == HealthStatus.FAILING
    assert "401" in connector.health_message
    progress = client.get(response["Location"]).content.decode()
    assert "0 done, 1 failed, 0 remaining" in progress
    assert "stale-token-9999" not in progress
    page = client.get("/admin/connectors/connector/").content.decode()
    assert "Failing" in page
    assert "stale-token-9999" not in page
    assert "stale-token-9999" not in str(AuditEvent.objects.values_list("details", flat=True))


def test_a_broken_connector_is_reported_failing_not_raised() -> None:
    connector = Connector.objects.create(name="gone", type="no-such-type")
    result = connector_test(connector=connector, actor=None)
    connector.refresh_from_db()
    assert not result.ok
    assert connector.health_status == HealthStatus.FAILING
    assert "unknown connector type 'no-such-type'" in connector.health_message


def keys(*keys: str) -> override_settings:
    return override_settings(IDCONFLUENCE={**settings.IDCONFLUENCE, "ENCRYPTION_KEYS": list(keys)})


def test_rotate_keys_reencrypts_every_secret_under_the_newest_key() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with keys(old):
        for name in ("one", "two"):
            connector = Connector(name=name, type="scim", config={})
            connector.set_secrets({"token": f"{name}-token-value"})
            connector.save()
        Connector.objects.create(name="no-secrets", type="local")

    out = StringIO()
    with keys(new, old):
        call_command("rotate_keys", stdout=out)
    assert out.getvalue().splitlines()[0] == "Rotated the secrets of 2 connector(s)."

    with keys(new):  # the old key is gone: everything still decrypts
        assert {c.name: c.get_secrets() for c in Connector.objects.exclude(name="no-secrets")} == {
            "one": {"token": "one-token-value"},
            "two": {"token": "two-token-value"},
        }
    with keys(old), pytest.raises(ImproperlyConfigured):
        Connector.objects.get(name="one").get_secrets()
    assert AuditEvent.objects.get(action="connector.keys_rotated").details == {"connectors": 2}
