"""Generic REST/HTTP connector: each operation is a configured request template plus success rules.

An operation spec: `method`, `path` (relative to `base_url`, or absolute), `query`, `headers`,
`json` (templates over the block input, whose values are inserted as data, never parsed: see
connectors.templating), `success` (status codes; default any 2xx), `already` (rules `{status,
contains}` meaning "already in that state"), and an optional `check` request read first: present
when its status is in `present_status` and, if `present_value` is given, that value appears
anywhere in the JSON answer. Presets (msgraph, okta) supply operations. A dry run performs only
the check (or a read-only operation).

A write answered 5xx, timed out or cut off after it left may have been applied, and is never
re-sent blindly: with a `check` the target is read back (the change is there: CHANGED,
reconciled; it is not and time is left: applied once more), without one the answer is UNKNOWN.
`idempotency_header` (e.g. "Idempotency-Key") names the header a target de-duplicates writes
by; the call's idempotency key, stable across retries of the block, is sent in it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import requests

from connectors.auth import (
    AUTH_SECRET_FIELDS,
    authenticated_session,
    derived_credentials,
    http_config_schema,
)
from connectors.base import (
    OPERATIONS,
    READ_ONLY_OPERATIONS,
    CallOptions,
    Outcome,
    Result,
)
from connectors.http import RetryingSession, http_error, write_reconciled
from connectors.retry import BudgetedConnector
from connectors.templating import render, render_json, render_url
from connectors.types.rest_presets import PRESETS

REMOVALS = frozenset({"revoke_access", "remove_role", "remove_group_member"})
_REQUEST: dict[str, Any] = {
    "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
    "path": {"type": "string"},
    "query": {"type": "object", "additionalProperties": {"type": "string"}},
    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
    "json": {},
}
_OPERATION: dict[str, Any] = {
    "type": "object",
    "required": ["method", "path"],
    "additionalProperties": False,
    "properties": {
        **_REQUEST,
        "success": {"type": "array", "items": {"type": "integer"}},
        "already": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"type": "integer"}, "contains": {"type": "string"}},
            },
        },
        "check": {
            "type": "object",
            "required": ["method", "path"],
            "properties": {
                **_REQUEST,
                "present_status": {"type": "array", "items": {"type": "integer"}},
                "present_value": {"type": "string"},
            },
        },
    },
}


def _contains_value(body: Any, wanted: str) -> bool:
    if isinstance(body, dict):
        return any(_contains_value(v, wanted) for v in body.values())
    if isinstance(body, list):
        return any(_contains_value(v, wanted) for v in body)
    return str(body) == wanted


class RestConnector(BudgetedConnector):
    type_name = "rest"
    label = "REST / HTTP"
    operations = frozenset(OPERATIONS)  # whichever the config defines; see supports()
    config_schema = http_config_schema(
        preset={"enum": sorted(PRESETS)},
        headers={"type": "object", "additionalProperties": {"type": "string"}},
        idempotency_header={
            "type": "string",
            "description": "Header the target de-duplicates writes by (e.g. Idempotency-Key); "
            "writes send the call's idempotency key, stable across retries of the block. "
            "Leave unset if the target ignores it.",
        },
        operations={
            "type": "object",
            "propertyNames": {"enum": sorted(OPERATIONS)},
            "additionalProperties": _OPERATION,
        },
    )
    secret_fields = AUTH_SECRET_FIELDS

    _session: RetryingSession | None = None

    @property
    def specs(self) -> dict[str, dict[str, Any]]:
        preset = PRESETS.get(self.config.get("preset", ""), {})
        return {**preset, **self.config.get("operations", {})}

    @property
    def session(self) -> RetryingSession:
        if self._session is None:
            self._session = authenticated_session(self.config, self.secrets)
        return self._session

    def supports(self, operation: str) -> bool:
        return operation in self.specs

    def __getattr__(self, name: str) -> Any:
        if name.startswith("op_") and name[3:] in self.specs:
            return partial(self._perform, name[3:])
        raise AttributeError(name)

    def extra_redactions(self) -> list[str]:
        return derived_credentials(self._session.auth if self._session else None)

    def _context(self, args: dict[str, Any]) -> dict[str, Any]:
        return {**args, "base_url": self.config["base_url"].rstrip("/")}

    def _send(
        self,
        spec: dict[str, Any],
        context: dict[str, Any],
        *,
        write: bool = False,
        key: str = "",
    ) -> requests.Response:
        path = render_url(spec["path"], context, raw=("base_url",))
        url = path if path.startswith(("http://", "https://")) else context["base_url"] + path
        headers = {**self.config.get("headers", {}), **spec.get("headers", {})}
        rendered = {name: render(value, context) for name, value in headers.items()}
        if write and key and self.config.get("idempotency_header"):
            rendered[self.config["idempotency_header"]] = key
        kwargs: dict[str, Any] = {
            "headers": rendered,
            "params": {
                name: render(value, context) for name, value in spec.get("query", {}).items()
            },
        }
        if "json" in spec:
            kwargs["json"] = render_json(spec["json"], context)
        return self.session.request(spec["method"], url, write=write, **kwargs)

    def _present(self, check: dict[str, Any], context: dict[str, Any]) -> bool:
        response = self._send(check, context)
        if response.status_code not in check.get("present_status", [200]):
            if response.status_code == 404:
                return False
            if not response.ok:
                raise http_error(response, f"check {check['method']} {check['path']}")
            return False
        wanted = check.get("present_value")
        return wanted is None or _contains_value(response.json(), render(wanted, context))

    def _perform(self, operation: str, *, options: CallOptions, **args: Any) -> Result:
        spec = self.specs[operation]
        context = self._context(args)
        what = f"{spec['method']} {spec['path']}"
        check, removal = spec.get("check"), operation in REMOVALS
        state = "already absent" if removal else "already present"
        if check and self._present(check, context) != removal:
            if options.reconcile:  # an earlier attempt of ours, whose answer was lost, did it
                message = f"{operation}: reconciled: {state} (read before applying)"
                return Result(Outcome.CHANGED, message, {"reconciled": True})
            return Result(Outcome.ALREADY, f"{operation}: {state}")
        if operation in READ_ONLY_OPERATIONS:
            return self._judge(operation, spec, self._send(spec, context))
        if options.dry_run:
            checked = " (state checked)" if check else " (state not readable)"
            return Result(Outcome.WOULD_CHANGE, f"{operation}: would {what}{checked}")

        def apply() -> Result:
            sent = self._send(spec, context, write=True, key=options.idempotency_key)
            return self._judge(operation, spec, sent)

        if not check:  # nothing to read back: an unknown outcome stays UNKNOWN (MaybeApplied)
            result = apply()
            if not options.reconcile:
                return result
            keyed = "; idempotency key sent" if self.config.get("idempotency_header") else ""
            note = f"not reconciled: no state check configured{keyed}"
            return replace(result, message=f"{result.message}; {note}")

        def applied() -> Result | None:
            if self._present(check, context) == removal:
                return None
            return Result(Outcome.CHANGED, f"{operation}: {what} took effect")

        result, note = write_reconciled(apply, applied)
        if not note and not options.reconcile:
            return result
        note = note or "reconciled: read before applying, the change was not there"
        return replace(
            result, message=f"{result.message}; {note}", data={**result.data, "reconciled": True}
        )

    def _judge(self, operation: str, spec: dict[str, Any], response: requests.Response) -> Result:
        status = response.status_code
        success = spec.get("success")
        if (status in success) if success else response.ok:
            outcome = Outcome.ALREADY if operation in READ_ONLY_OPERATIONS else Outcome.CHANGED
            return Result(outcome, f"{operation}: HTTP {status}", _body(response))
        text = response.text.lower()
        for rule in spec.get("already", []):
            if rule["status"] == status and rule.get("contains", "").lower() in text:
                return Result(Outcome.ALREADY, f"{operation}: HTTP {status}, already so")
        write = operation not in READ_ONLY_OPERATIONS
        raise http_error(response, f"{operation} ({spec['method']} {spec['path']})", write=write)

    def check(self) -> Result:
        response = self.session.request("GET", self.config["base_url"])
        if response.status_code in (401, 403):
            raise http_error(response, "credentials refused")
        if response.status_code >= 500:
            raise http_error(response, "server error")
        return Result(Outcome.ALREADY, f"reachable (HTTP {response.status_code})")


def _body(response: requests.Response) -> dict[str, Any]:
    if "json" not in response.headers.get("Content-Type", ""):
        return {"status": response.status_code}
    try:
        body = response.json()
    except ValueError:
        return {"status": response.status_code}
    return body if isinstance(body, dict) else {"status": response.status_code, "items": body}
