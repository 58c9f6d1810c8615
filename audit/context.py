"""Who is acting, and from where, for events recorded while an HTTP request is being served.

Django's request_started signal hands us the WSGI environ before any view runs, so events that
no view passes a request to (admin edits, permission grants) still get the person's IP address,
user agent and user, without adding middleware to the project's settings.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import request_finished, request_started
from django.dispatch import receiver

_UNSET = object()


@dataclass
class RequestMeta:
    ip_address: str | None
    user_agent: str
    environ: dict[str, Any] | None = None
    _user: Any = field(default=_UNSET, repr=False)

    def user(self) -> Any:
        """The signed-in user of this request (resolved once, from the session), or None."""
        if self._user is _UNSET:
            self._user = _user_from_environ(self.environ) if self.environ else None
        return self._user


_current: ContextVar[RequestMeta | None] = ContextVar("audit_request", default=None)


def clean_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def meta_from_environ(environ: dict[str, Any]) -> RequestMeta:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy
    # rewrites it, and an audit log must not record a claim as a fact.
    return RequestMeta(
        ip_address=clean_ip(environ.get("REMOTE_ADDR")),
        user_agent=str(environ.get("HTTP_USER_AGENT", ""))[:500],
        environ=environ,
    )


def meta_from_scope(scope: dict[str, Any]) -> RequestMeta:
    """ASGI: the same facts from the connection scope (the user is left to explicit callers)."""
    headers = dict(scope.get("headers") or [])
    client = scope.get("client") or (None,)
    return RequestMeta(
        ip_address=clean_ip(client[0]),
        user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:500],
    )


def current() -> RequestMeta | None:
    return _current.get()


def _user_from_environ(environ: dict[str, Any]) -> Any:
    request = WSGIRequest(environ)
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
    user = get_user(request)
    return user if user.is_authenticated else None


@receiver(request_started, dispatch_uid="audit.context.started")
def _on_request_started(
    sender: Any,
    environ: dict[str, Any] | None = None,
    scope: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    if environ is not None:
        _current.set(meta_from_environ(environ))
    else:
        _current.set(meta_from_scope(scope) if scope is not None else None)


@receiver(request_finished, dispatch_uid="audit.context.finished")
def _on_request_finished(sender: Any, **kwargs: Any) -> None:
    _current.set(None)
