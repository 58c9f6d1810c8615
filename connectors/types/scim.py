"""SCIM 2.0 (RFC 7643/7644) connector: accounts and group membership in any SCIM service provider.

Requests are built and checked by scim2-client/scim2-models, sent over the shared retrying
`requests` session. Users are found by userName or externalId. Accounts are created (or
reactivated) and deactivated with `active: false`, never deleted, so the history stays. Group
membership changes are PATCH add/remove on `members`, after reading the group's members, so an
unchanged state is ALREADY and a dry run writes nothing.

Every write is read back when its outcome is unknown (a 5xx, a timeout or a connection lost after
the request left): a change found there is CHANGED with `reconciled`, a change missing is applied
once more. A 409 to a create means the userName exists (a race, or our own earlier POST whose
answer was lost): the user is read back by userName and the call answers ALREADY, never a
failure. With `reconcile` set, a state already as requested is our earlier attempt's: CHANGED.
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
from connectors.http import (
    MaybeApplied,
    RetryingSession,
    is_retryable_status,
    may_have_applied,
    write_reconciled,
)


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
        write = method.upper() != "GET"  # a write's lost answer must not look like a failure
        return self.session.request(method, self._url(url), write=write, **kwargs)


def _status(exc: Exception) -> int:
    """The HTTP status of a scim2 error (a SCIM Error object, or the raw response)."""
    source = getattr(exc, "source", None)
    return int(getattr(exc, "status", None) or getattr(source, "status_code", 0) or 0)


def _written(fn: Any) -> Any:
    """Run a write; a server error to it says nothing of whether it was applied."""
    try:
        return fn()
    except (SCIMException, SCIMClientException) as exc:
        if may_have_applied(_status(exc)):
            raise MaybeApplied(f"SCIM {_status(exc)}: {exc}") from exc
        raise


def _unchanged(message: str, data: dict[str, Any], options: CallOptions) -> Result:
    """Already as requested: when reconciling, that is our earlier attempt's doing."""
    if options.reconcile:
        return Result(Outcome.CHANGED, f"reconciled: {message}", {**data, "reconciled": True})
    return Result(Outcome.ALREADY, message, data)


def _changed(message: str, data: dict[str, Any], note: str, options: CallOptions) -> Result:
    if note or options.reconcile:
        data = {**data, "reconciled": True}
        message += f"; {note or 'reconciled: read before applying, not there yet'}"
    return Result(Outcome.CHANGED, message, data)


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
            status = _status(exc) or 400
            kind = f" {exc.scim_type}" if exc.scim_type else ""
            return ConnectorError(
                f"SCIM {status}{kind}: {exc.detail}", retryable=is_retryable_status(status)
            )
        if isinstance(exc, SCIMClientException):
            retryable = is_retryable_status(_status(exc))
            return ConnectorError(f"SCIM: {exc.message}", retryable=retryable)
        if isinstance(exc, ValidationError):
            return ConnectorError(f"SCIM payload invalid: {exc.error_count()} error(s): {exc}")
        return None

    # Reads -------------------------------------------------------------------------------------

    def find_user(self, user: str, by: list[str] | None = None) -> User[Any] | None:
        """The user whose userName or externalId (config `user_match`) equals `user`."""
        attributes = by or self.config.get("user_match", ["userName", "externalId"])
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
        if (found is not None and found.active is not False) == active:
            state = "already has an active account" if active else "has no active account"
            return _unchanged(f"{key} {state}", _describe(found) if found else {}, options)
        verb = "deactivate" if not active else "reactivate" if found else "create"
        if options.dry_run:
            return Result(Outcome.WOULD_CHANGE, f"{key}: would {verb} the account")

        def apply() -> User[Any]:
            return self._create(fields, key) if found is None else self._activate(found, active)

        def applied() -> User[Any] | None:
            now = self.find_user(key)
            return now if now is not None and (now.active is not False) == active else None

        try:
            account, note = write_reconciled(apply, applied)
        except (SCIMException, SCIMClientException) as exc:
            if found is not None or _status(exc) != 409:  # Conflict: userName taken
                raise
            return self._exists(str(fields.get("userName") or key), exc, options)
        return _changed(f"{verb}d {key}", {**_describe(account), "active": active}, note, options)

    def _exists(self, name: str, conflict: Exception, options: CallOptions) -> Result:
        """A 409 to our create: the userName is taken, so read that user back, never fail."""
        existing = self.find_user(name, by=["userName"])
        if existing is None:
            raise ConnectorError(f"SCIM 409 on create, yet no user named {name!r}: {conflict}")
        why = f"{name} exists (SCIM 409 on create; read back by userName)"
        if existing.active is False:
            data = _describe(self._activate(existing, True))
            return Result(Outcome.CHANGED, f"{why}; reactivated", {**data, "active": True})
        return _unchanged(why, _describe(existing), options)

    def _activate(self, found: User[Any], active: bool) -> User[Any]:
        patch = PatchOp[User](
            operations=[PatchOperation(op="replace", path="active", value=active)]
        )
        _written(lambda: self.scim.modify(User, found.id, patch))
        return found

    def set_membership(self, user: str, group: str, member: bool, options: CallOptions) -> Result:
        found = self.find_user(user)
        if found is None:
            outcome = Outcome.PERMANENT if member else Outcome.ALREADY
            return Result(outcome, f"no SCIM user matches {user!r}")
        target = self.find_group(group)
        data = {"user_id": found.id, "group_id": target.id}

        def is_done() -> bool | None:
            return True if (found.id in self.group_members(str(target.id))) == member else None

        if is_done():
            return _unchanged(membership_unchanged(user, group, member), data, options)
        if options.dry_run:
            return Result(Outcome.WOULD_CHANGE, membership_plan(user, group, member), data)
        if member:
            change = PatchOperation(op="add", path="members", value=[{"value": found.id}])
        else:
            change = PatchOperation(op="remove", path=f"members[value eq {_quoted(str(found.id))}]")

        def apply() -> bool:
            _written(
                lambda: self.scim.modify(Group, target.id, PatchOp[Group](operations=[change]))
            )
            return True

        _, note = write_reconciled(apply, is_done)
        return _changed(membership_done(user, group, member), data, note, options)

    def _create(self, fields: dict[str, Any], key: str) -> User[Any]:
        email = fields.get("email")
        created = _written(
            lambda: self.scim.create(
                User(
                    user_name=fields.get("userName") or key,
                    external_id=fields.get("externalId"),
                    display_name=fields.get("displayName"),
                    emails=[Email(value=email, primary=True)] if email else None,
                    active=True,
                )
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
