"""HTTP authentication for SCIM and REST connectors: bearer, basic, OAuth2 client credentials.

Client-credentials tokens are cached per (token URL, client, scope, secret) until shortly
before they expire, so a workflow step does not fetch a token per call; a 401 on a cached
token drops it and retries once with a fresh one.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from connectors.base import ConnectorError
from connectors.http import RetryingSession, http_error

# Config keys (JSON Schema properties) and secret names every HTTP connector type accepts.
AUTH_CONFIG_SCHEMA: dict[str, Any] = {
    "auth": {"enum": ["none", "bearer", "basic", "oauth2_client_credentials"]},
    "username": {"type": "string"},
    "token_url": {"type": "string", "pattern": "^https?://"},
    "client_id": {"type": "string"},
    "scope": {"type": "string"},
    "verify_tls": {"type": "boolean"},
    "ca_file": {"type": "string"},
}
AUTH_SECRET_FIELDS = ("token", "password", "client_secret")


def http_config_schema(**properties: Any) -> dict[str, Any]:
    """The JSON Schema of an HTTP connector's config: `base_url`, the auth keys, `properties`."""
    return {
        "type": "object",
        "required": ["base_url"],
        "additionalProperties": False,
        "properties": {
            "base_url": {"type": "string", "pattern": "^https?://"},
            **AUTH_CONFIG_SCHEMA,
            **properties,
        },
    }


# Renew this many seconds before the server says a token expires (clock skew, slow calls).
EXPIRY_MARGIN_SECONDS = 30


class BearerAuth(AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@dataclass
class _Token:
    value: str
    expires_at: float


_tokens: dict[str, _Token] = {}
_tokens_lock = threading.Lock()


class OAuth2ClientCredentials(AuthBase):
    """RFC 6749 §4.4: POST the client's credentials to the token URL, send the bearer token."""

    def __init__(
        self,
        *,
        session: RetryingSession,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str = "",
    ) -> None:
        self.session = session
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        raw = "\0".join((token_url, client_id, scope, client_secret)).encode()
        self._key = hashlib.sha256(raw).hexdigest()
        self.last_token = ""

    def token(self, *, fresh: bool = False) -> str:
        with _tokens_lock:
            cached = _tokens.get(self._key)
        if cached and not fresh and cached.expires_at > time.monotonic():
            self.last_token = cached.value
            return cached.value
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        response = self.session.post(
            self.token_url, data=data, auth=HTTPBasicAuth(self.client_id, self.client_secret)
        )
        if not response.ok:
            raise http_error(response, "token request refused")
        body = response.json()
        value = str(body["access_token"])
        lifetime = float(body.get("expires_in", 3600))
        with _tokens_lock:
            _tokens[self._key] = _Token(value, time.monotonic() + lifetime - EXPIRY_MARGIN_SECONDS)
        self.last_token = value
        return value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        request.register_hook("response", self._renew_on_401)  # type: ignore[no-untyped-call]
        return request

    def _renew_on_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        if response.status_code != 401 or getattr(response.request, "_idc_renewed", False):
            return response
        response.content  # noqa: B018 - read the body so the connection can be reused
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Bearer {self.token(fresh=True)}"
        retry._idc_renewed = True  # type: ignore[attr-defined]
        assert response.connection is not None  # noqa: S101 - set by HTTPAdapter.send
        renewed: requests.Response = response.connection.send(retry, **kwargs)
        renewed.history.append(response)
        return renewed


def build_auth(
    kind: str, config: dict[str, Any], secrets: dict[str, str], session: RetryingSession
) -> AuthBase | None:
    """Auth for a config: `none`, `bearer` (secret token), `basic`, `oauth2_client_credentials`."""
    if kind in ("", "none"):
        return None
    if kind == "bearer":
        return BearerAuth(_need(secrets, "token"))
    if kind == "basic":
        return HTTPBasicAuth(config.get("username", ""), _need(secrets, "password"))
    if kind == "oauth2_client_credentials":
        return OAuth2ClientCredentials(
            session=session,
            token_url=config["token_url"],
            client_id=config["client_id"],
            client_secret=_need(secrets, "client_secret"),
            scope=config.get("scope", ""),
        )
    raise ConnectorError(f"unknown auth {kind!r}")


def authenticated_session(
    config: dict[str, Any], secrets: dict[str, str], *, default_auth: str = "none"
) -> RetryingSession:
    """A retrying session that verifies TLS (with `ca_file` if given) and authenticates."""
    verify: bool | str = config.get("ca_file") or config.get("verify_tls", True)
    session = RetryingSession(verify=verify)
    session.auth = build_auth(config.get("auth", default_auth), config, secrets, session)
    return session


def derived_credentials(auth: Any) -> list[str]:
    """Values derived from secrets that could leak in a message: Basic header, access token."""
    if isinstance(auth, HTTPBasicAuth):
        prepared = requests.Request("GET", "http://x/").prepare()
        header = auth(prepared).headers["Authorization"]
        return [header, header.split(" ", 1)[1]]
    if isinstance(auth, OAuth2ClientCredentials):
        return [auth.last_token]
    return []


def _need(secrets: dict[str, str], name: str) -> str:
    value = secrets.get(name)
    if not value:
        raise ConnectorError(f"secret {name!r} is not set")
    return value
