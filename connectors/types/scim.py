"""SCIM 2.0 (RFC 7643/7644) connector: accounts and group membership in any SCIM service provider.

Requests are built and checked by scim2-client/scim2-models, sent over the shared retrying
`requests` session. Users are found by userName or externalId. Accounts are created (or
reactivated) and deactivated with `active: false`, never deleted, so the history stays. Group
membership changes are PATCH add/remove on `members`, after reading the group's members, so an
unchanged state is ALREADY and a dry run writes nothing.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from scim2_client import BaseSyncSCIMClient, SCIMClientException
from scim2_models import (
    Email,
    Group,
    ListResponse,
    PatchOp,
    PatchOperation,
    ResponseParameters,
    SCIMException,
    ScimProvider,
    SearchRequest,
    User,
)

from connectors.auth import (
    AUTH_SECRET_FIELDS,
    authenticated_session,
    derived_credentials,
    http_config_schema,
)
from connectors.base import CallOptions, ConnectorError, Outcome, Result
from connectors.directory import (
    DirectoryConnector,
    membership_done,
    membership_plan,
    membership_unchanged,
)
from connectors.http import RetryingSession, is_retryable_status


class RequestsSCIMClient(BaseSyncSCIMClient):
    """scim2-client over a `requests.Session` (scim2-client ships no requests engine)."""

    def __init__(self, session: RetryingSession, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.base_url = base_url.rstrip("/")

    def _url(self, url: str) -> str:
        return url if urlsplit(url).scheme else f"{self.base_url}/{url.lstrip('/')}"

    def _stays_under_base_url(self, endpoint: str) -> bool:
        url, base = urlsplit(self._url(endpoint)), urlsplit(self.base_url)
        inside = f"{url.path.rstrip('/')}/".startswith(f"{base.path.rstrip('/')}/")
        return (
            (url.scheme, url.netloc) == (base.scheme, base.netloc)
            and ".." not in url.path
            and inside
        )

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.session.request(method, self._url(url), **kwargs)


def _quoted(value: str) -> str:
    """A SCIM filter string literal (RFC 7644 §3.4.2.2 uses JSON string syntax)."""
    return json.dumps(value)


class ScimConnector(DirectoryConnector):
    type_name = "scim"
    label = "SCIM 2.0"
    config_schema = http_config_schema(
        user_match={"type": "array", "items": {"enum": ["userName", "externalId"]}}
    )
    secret_fields = AUTH_SECRET_FIELDS

    _scim: RequestsSCIMClient | None = None

    @property
    def scim(self) -> RequestsSCIMClient:
        if self._scim is None:
            session = authenticated_session(self.config, self.secrets, default_auth="bearer")
            session.headers["Accept"] = "application/scim+json"
            provider = ScimProvider(models=[User, Group])
            self._scim = RequestsSCIMClient(session, self.config["base_url"], provider=provider)
        return self._scim

    def extra_redactions(self) -> list[str]:
        return derived_credentials(self._scim.session.auth if self._scim else None)

    def translate(self, exc: Exception) -> ConnectorError | None:
        if isinstance(exc, SCIMException):
            status = int(getattr(exc, "status", 400) or 400)
            kind = f" {exc.scim_type}" if exc.scim_type else ""
            return ConnectorError(
                f"SCIM {status}{kind}: {exc.detail}", retryable=is_retryable_status(status)
            )
        if isinstance(exc, SCIMClientException):
            status = getattr(exc.source, "status_code", 0)
            return ConnectorError(f"SCIM: {exc.message}", retryable=is_retryable_status(status))
        if isinstance(exc, ValidationError):
            return ConnectorError(f"SCIM payload invalid: {exc.error_count()} error(s): {exc}")
        return None

    # Reads -------------------------------------------------------------------------------------

    def find_user(self, user: str) -> User[Any] | None:
        """The user whose userName or externalId (config `user_match`) equals `user`."""
        attributes = self.config.get("user_match", ["userName", "externalId"])
        query = " or ".join(f"{name} eq {_quoted(user)}" for name in attributes)
        found = self.scim.query(User, query_parameters=SearchRequest(filter=query, count=2))
        assert isinstance(found, ListResponse)  # noqa: S101 - raise_scim_errors is on
        if (found.total_results or 0) > 1:
            raise ConnectorError(f"more than one SCIM user matches {user!r}")
        return found.resources[0] if found.resources else None

    def find_group(self, group: str) -> Group:
        search = SearchRequest(
            filter=f"displayName eq {_quoted(group)}", count=2, attributes=["displayName"]
        )
        found = self.scim.query(Group, query_parameters=search)
        assert isinstance(found, ListResponse)  # noqa: S101
        if not found.resources:
            raise ConnectorError(f"no SCIM group named {group!r}")
        return found.resources[0]

    def group_members(self, group_id: str) -> list[str]:
        """The ids of a group's members, read from the service provider."""
        read = self.scim.query(Group, group_id, ResponseParameters(attributes=["members"]))
        assert isinstance(read, Group)  # noqa: S101
        return [member.value for member in read.members or [] if member.value]

    # Operations --------------------------------------------------------------------------------

    def op_get_user(self, *, user: str, options: CallOptions, **_: Any) -> Result:
        found = self.find_user(user)
        if found is None:
            return Result(Outcome.PERMANENT, f"no SCIM user matches {user!r}")
        return Result(Outcome.ALREADY, f"found {found.user_name}", _describe(found))

    def check(self) -> Result:
        listed = self.scim.query(User, query_parameters=SearchRequest(count=1))
        assert isinstance(listed, ListResponse)  # noqa: S101
        return Result(Outcome.ALREADY, f"SCIM service answers ({listed.total_results} users)")

    def set_account(self, user: Any, active: bool, options: CallOptions) -> Result:
        """Create or reactivate (`active`), or deactivate: never delete, so history stays."""
        fields = user if isinstance(user, dict) else {"userName": str(user)}
        key = str(fields.get("userName") or fields.get("externalId") or "")
        found = self.find_user(key)
        is_active = found is not None and found.active is not False
        if is_active == active:
            state = "already has an active account" if active else "has no active account"
            return Result(Outcome.ALREADY, f"{key} {state}")
        verb = "deactivate" if not active else "reactivate" if found else "create"
        if options.dry_run:
            return Result(Outcome.WOULD_CHANGE, f"{key}: would {verb} the account")
        if found is None:
            found = self._create(fields, key)
        else:
            patch = PatchOperation(op="replace", path="active", value=active)
            self.scim.modify(User, found.id, PatchOp[User](operations=[patch]))
        return Result(Outcome.CHANGED, f"{verb}d {key}", {**_describe(found), "active": active})

    def set_membership(self, user: str, group: str, member: bool, options: CallOptions) -> Result:
        found = self.find_user(user)
        if found is None:
            outcome = Outcome.PERMANENT if member else Outcome.ALREADY
            return Result(outcome, f"no SCIM user matches {user!r}")
        target = self.find_group(group)
        data = {"user_id": found.id, "group_id": target.id}
        if (found.id in self.group_members(str(target.id))) == member:
            return Result(Outcome.ALREADY, membership_unchanged(user, group, member), data)
        if options.dry_run:
            return Result(Outcome.WOULD_CHANGE, membership_plan(user, group, member), data)
        if member:
            change = PatchOperation(op="add", path="members", value=[{"value": found.id}])
        else:
            change = PatchOperation(op="remove", path=f"members[value eq {_quoted(str(found.id))}]")
        self.scim.modify(Group, target.id, PatchOp[Group](operations=[change]))
        return Result(Outcome.CHANGED, membership_done(user, group, member), data)

    def _create(self, fields: dict[str, Any], key: str) -> User[Any]:
        email = fields.get("email")
        created = self.scim.create(
            User(
                user_name=fields.get("userName") or key,
                external_id=fields.get("externalId"),
                display_name=fields.get("displayName"),
                emails=[Email(value=email, primary=True)] if email else None,
                active=True,
            )
        )
        assert isinstance(created, User)  # noqa: S101
        return created


def _describe(found: User[Any]) -> dict[str, Any]:
    return {
        "id": found.id,
        "userName": found.user_name,
        "externalId": found.external_id,
        "active": found.active is not False,
    }
