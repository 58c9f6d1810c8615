"""The HTTP session SCIM and REST connectors share: retries and timeouts bounded by the call budget.

urllib3's `Retry` retries with exponential backoff and jitter, honouring Retry-After, only while
the next attempt still fits in the budget; every attempt's connect and read timeouts are the time
left. What it may re-send is limited, because a write answered 502 or cut off after it left may
well have been applied: a request that never reached the server (connect refused or timed out)
is retried whatever its method, but 5xx, 429 and read errors only for idempotent methods
(GET/HEAD/PUT/DELETE/OPTIONS). A POST or PATCH is sent once; the connector decides what happens
next, after reading the target back (`write_reconciled`). A 4xx other than 429 is never retried.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ResponseError
from urllib3.util import Retry, Timeout

from connectors.base import ConnectorError
from connectors.retry import Budget, current_budget

T = TypeVar("T")

# 501 Not Implemented will not start working on a retry; other 5xx may.
RETRY_STATUSES = frozenset({429, *range(500, 600)} - {501})
# Methods whose repetition has the effect of one request (RFC 9110 §9.2.2): safe to re-send.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


class MaybeApplied(ConnectorError):
    """A write left for the target and no clear answer came back (5xx, timeout, dropped
    connection): it may have been applied, so it is never a clean failure nor blindly re-sent."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"may have been applied: {detail}", retryable=True, unknown=True)
        self.detail = detail


class DeadlineRetry(Retry):
    """Retry transient failures only while the budget of the current call leaves room."""

    planned_sleep = 0.0

    def get_backoff_time(self) -> float:
        """Exponential from the first retry (urllib3 waits 0 before it) plus uniform jitter."""
        retries = len(self.history)
        if retries == 0:
            return 0.0
        backoff = self.backoff_factor * (2 ** (retries - 1))
        jitter = random.random() * self.backoff_jitter  # noqa: S311 - spreading, not secrecy
        return float(min(self.backoff_max, backoff + jitter))

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> DeadlineRetry:
        # urllib3 re-sends any method after "other" errors (a TLS error mid-request): only a
        # request that never got a connection may be re-sent whatever its method.
        resendable = method is not None and self._is_method_retryable(method)
        if error is not None and not self._is_connection_error(error) and not resendable:
            raise error
        fresh = super().increment(method, url, response, error, _pool, _stacktrace)
        retry_after = fresh.get_retry_after(response) if response is not None else None
        fresh.planned_sleep = retry_after if retry_after is not None else fresh.get_backoff_time()
        spent = current_budget()
        if not spent.allows(fresh.planned_sleep):
            reason = error or ResponseError(f"no time left to retry {method} {url}")
            raise MaxRetryError(_pool, url or "", reason)
        spent.retries += 1
        return fresh

    def sleep(self, response: Any = None) -> None:
        if self.planned_sleep > 0:
            time.sleep(self.planned_sleep)


class DeadlineTimeout(Timeout):
    """Each attempt (urllib3 clones the timeout per attempt) gets the time left in the budget."""

    def __init__(self, budget: Budget) -> None:
        super().__init__(connect=budget.left(), read=budget.left())
        self.budget = budget

    def clone(self) -> Timeout:
        left = self.budget.left()
        return Timeout(connect=left, read=left)


class RetryingSession(requests.Session):
    """A `requests.Session` (connection pooling) whose every request runs in the current budget.

    Callers pass `write=True` for a request that changes the target: a failure after it was
    sent then raises `MaybeApplied` instead of a retryable error.
    """

    def __init__(self, *, verify: bool | str = True, pool_size: int = 10) -> None:
        super().__init__()
        self.verify = verify
        retry = DeadlineRetry(
            total=50,  # the budget, not a count, ends retrying
            status_forcelist=RETRY_STATUSES,
            allowed_methods=IDEMPOTENT_METHODS,  # POST/PATCH: sent once, see the module doc
            backoff_factor=0.1,
            backoff_jitter=0.1,
            backoff_max=5,
            raise_on_status=False,  # give the last response back so its message is kept
            respect_retry_after_header=True,
        )
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=pool_size)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(
        self,
        method: str | bytes,
        url: str | bytes,
        *args: Any,
        write: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        spent = current_budget()
        kwargs["timeout"] = DeadlineTimeout(spent)
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            what = f"{str(method).upper()} {urlsplit(str(url)).path}"
            raise request_error(exc, spent, write=write, what=what) from exc


def _root_cause(exc: BaseException) -> BaseException:
    """The urllib3 error under requests' wrapping (ConnectionError(MaxRetryError(reason)))."""
    for _ in range(5):
        inner = getattr(exc, "reason", None)
        if not isinstance(inner, BaseException) and exc.args:
            inner = exc.args[0]
        if not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def was_sent(exc: requests.RequestException) -> bool:
    """False when the request certainly never reached the server (no connection was made)."""
    if isinstance(exc, (requests.ConnectTimeout, requests.exceptions.SSLError)):
        return False
    return not isinstance(_root_cause(exc), ConnectTimeoutError)  # NewConnectionError too


def request_error(
    exc: requests.RequestException, spent: Budget, *, write: bool = False, what: str = ""
) -> ConnectorError:
    """A network failure after the retries the budget allowed: retrying later may help, but a
    write that had left may have been applied."""
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        why = "no answer before the time limit"
    elif isinstance(exc, requests.exceptions.SSLError):
        return ConnectorError(f"TLS failure: {exc}", retryable=False)
    elif was_sent(exc):
        why = "connection lost before an answer"
    else:
        why = "could not connect"
    reason = _os_reason(_root_cause(exc))
    detail = (
        f"{why}{_where(exc)}{': ' + reason if reason else ''} ({type(exc).__name__}) "
        f"after {spent.attempts} attempt(s)"
    )
    if write and was_sent(exc):
        return MaybeApplied(f"{what}: {detail}" if what else detail)
    return ConnectorError(detail, retryable=True)


def _where(exc: requests.RequestException) -> str:
    """ " to host:port" of the request that failed: which target an operator must look at (no
    credentials, path or query: those may carry secrets)."""
    url = getattr(exc.request, "url", None) if exc.request is not None else None
    if not url:
        return ""
    parts = urlsplit(str(url))
    if not parts.hostname:
        return ""
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme, 0)
    return f" to {parts.hostname}:{port}" if port else f" to {parts.hostname}"


def _os_reason(root: BaseException) -> str:
    """The operating system's words for a failed connection ("Connection refused")."""
    if isinstance(root, OSError) and root.strerror:
        return str(root.strerror)
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(root))
    return match.group(1).strip() if match else ""


def server_message(response: requests.Response) -> str:
    """The server's own explanation from common error bodies (SCIM, Graph, Okta, OAuth2)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        nested = body.get("error")
        if isinstance(nested, dict) and nested.get("message"):
            return str(nested["message"])
        for key in ("detail", "errorSummary", "message", "error_description", "error", "title"):
            if body.get(key):
                return str(body[key])
    return response.text.strip()[:500]


def is_retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES


def may_have_applied(status: int) -> bool:
    """A server error to a write says nothing about whether it was applied (429 says it was not,
    501 that it could not be)."""
    return is_retryable_status(status) and status != 429


def http_error(response: requests.Response, what: str, *, write: bool = False) -> ConnectorError:
    message = server_message(response)
    text = f"{what}: HTTP {response.status_code} {response.reason}" + (
        f": {message}" if message else ""
    )
    if write and may_have_applied(response.status_code):
        return MaybeApplied(text)
    return ConnectorError(text, retryable=is_retryable_status(response.status_code))


def write_reconciled(apply: Callable[[], T], applied: Callable[[], T | None]) -> tuple[T, str]:
    """Apply a write; if its outcome is unknown, read the target back instead of re-sending.

    `applied()` reads the target and returns evidence of the change (None: not there). When
    the change is there, that evidence is the answer; when it is not and time is left, the
    write is applied once more. Returns (answer, note); the note says how an unknown outcome
    was reconciled ("" when the first attempt answered). Still unknown: `MaybeApplied`.
    """
    try:
        return apply(), ""
    except MaybeApplied as first:
        try:
            evidence = applied()
        except Exception as exc:  # any failure to read back leaves the outcome unknown
            raise MaybeApplied(
                f"{first.detail}; reading back failed ({type(exc).__name__}: {exc})"
            ) from exc
        if evidence is not None:
            return evidence, f"reconciled: {first}; read back: the change is there"
        spent = current_budget()
        if not spent.allows(0):
            raise MaybeApplied(
                f"{first.detail}; read back: not there, no time left to apply again"
            ) from first
        spent.retries += 1
        try:
            answer = apply()
        except MaybeApplied as second:
            raise MaybeApplied(
                f"{second.detail} (applied again once after a read-back found the first "
                f"attempt missing: {first.detail})"
            ) from second
        return answer, f"reconciled: {first}; read back: not there, applied again"
