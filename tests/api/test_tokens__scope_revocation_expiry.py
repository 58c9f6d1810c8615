"""API tokens: only a hash is stored; a read token reads and cannot write; a revoked, expired,
unknown or malformed token is a JSON 401 saying why; issuing and revoking are audited; the
admin shows a new token once."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from idconfluence.apitokens.models import ApiToken, Scope
from idconfluence.apitokens.services import token_revoke
from tests.api.conftest import ROLE_PERMISSIONS, api, token_for, user_with

pytestmark = pytest.mark.django_db
WORKFLOWS = "/api/v1/workflows/"
NEW = {"slug": "from-a-token", "name": "From a token"}


@pytest.fixture
def manager():
    return user_with("manager-user", (*ROLE_PERMISSIONS["manager"], "workflows.view_workflow"))


def test_only_the_hash_is_stored_and_the_token_works(manager) -> None:
    token, text = token_for(manager)
    stored = ApiToken.objects.get(pk=token.pk)
    assert text.startswith(f"idc_{stored.prefix}_")
    assert stored.token_hash == hashlib.sha256(text.encode()).hexdigest()
    assert text not in str(ApiToken.objects.filter(pk=token.pk).values().get())

    response = api(text).get(WORKFLOWS)
    assert response.status_code == 200
    ApiToken.objects.filter(pk=token.pk, last_used_at__isnull=False).get()


def test_a_read_token_reads_and_may_not_write(manager) -> None:
    _, text = token_for(manager, Scope.READ)
    assert api(text).get(WORKFLOWS).status_code == 200

    refused = api(text).post(WORKFLOWS, NEW, format="json")

    assert refused.status_code == 403
    assert "read-only" in refused.json()["detail"]
    _, writer = token_for(manager, Scope.WRITE)
    assert api(writer).post(WORKFLOWS, NEW, format="json").status_code == 201


def test_revoked_expired_unknown_and_malformed_tokens_are_refused_with_why(manager) -> None:
    revoked, revoked_text = token_for(manager)
    assert token_revoke(token=revoked, actor=manager) is True
    assert token_revoke(token=revoked, actor=manager) is False  # once
    _, expired_text = token_for(manager, expires_at=timezone.now() - timedelta(seconds=1))
    _, live = token_for(manager)
    forged = live[:-4] + ("AAAA" if not live.endswith("AAAA") else "BBBB")
    cases = {
        revoked_text: "revoked",
        expired_text: "expired",
        forged: "not valid",
        "idc_000000000000_nothing": "not valid",
        "someone-elses-token": "not an idconfluence",
    }
    for text, why in cases.items():
        response = api(text).get(WORKFLOWS)
        assert response.status_code == 401, text
        assert why in response.json()["detail"], (text, response.json())
        assert response["WWW-Authenticate"].startswith("Bearer")
    malformed = api().get(WORKFLOWS, HTTP_AUTHORIZATION="Bearer two parts")
    assert malformed.status_code == 401 and "Bearer <token>" in malformed.json()["detail"]
    anonymous = api().get(WORKFLOWS)
    assert anonymous.status_code == 401 and anonymous.json()["detail"]


def test_an_inactive_users_token_stops_working(manager) -> None:
    _, text = token_for(manager)
    manager.is_active = False
    manager.save()
    response = api(text).get(WORKFLOWS)
    assert response.status_code == 401 and "inactive" in response.json()["detail"]


def test_issuing_and_revoking_are_audited_without_the_secret(manager) -> None:
    token, text = token_for(manager, Scope.READ)
    token_revoke(token=token, actor=manager)
    events = AuditEvent.objects.filter(target_type="apitokens.apitoken", target_id=str(token.pk))
    assert sorted(events.values_list("action", flat=True)) == [
        "api_token.issued",
        "api_token.revoked",
    ]
    assert all(text not in str(event.details) for event in events)


def test_the_admin_issues_a_token_once_and_revokes_it(admin_client: Client, manager) -> None:
    response = admin_client.post(
        "/admin/apitokens/apitoken/add/",
        {"name": "HR sync", "user": manager.pk, "scope": "write", "expires_at": ""},
    )
    assert response.status_code == 200, response.content[:500]
    token = ApiToken.objects.get(name="HR sync")
    body = response.content.decode()
    text = body.split('<pre id="issued-token">')[1].split("</pre>")[0]
    assert text.startswith(f"idc_{token.prefix}_") and "no-store" in response["Cache-Control"]
    assert api(text).get(WORKFLOWS).status_code == 200
    change_page = admin_client.get(f"/admin/apitokens/apitoken/{token.pk}/change/")
    assert text not in change_page.content.decode()

    admin_client.post(
        "/admin/apitokens/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )

    assert api(text).get(WORKFLOWS).status_code == 401


def test_only_a_superuser_issues_a_token_for_someone_else(manager) -> None:
    clerk = user_with("clerk", ("apitokens.add_apitoken", "apitokens.view_apitoken"))
    clerk.is_staff = True
    clerk.save()
    console = Client()
    console.force_login(clerk)

    refused = console.post(
        "/admin/apitokens/apitoken/add/",
        {"name": "as the manager", "user": manager.pk, "scope": "write", "expires_at": ""},
    )

    assert refused.status_code == 200 and "Select a valid choice" in refused.content.decode()
    assert not ApiToken.objects.exists()
    own = console.post(
        "/admin/apitokens/apitoken/add/",
        {"name": "mine", "user": clerk.pk, "scope": "read", "expires_at": ""},
    )
    assert own.status_code == 200 and ApiToken.objects.get().user == clerk
