"""The HTTP session SCIM and REST connectors share: retries and timeouts bounded by the call budget.

urllib3's `Retry` retries connection errors, 429 and 5xx with exponential backoff and jitter,
honouring Retry-After, but only while the next attempt still fits in the budget; every attempt's
connect and read timeouts are the time left. A 4xx other than 429 is never retried.
"""

from __future__ import annotations

import random
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util import Retry, Timeout

from connectors.base import ConnectorError
from connectors.retry import Budget, current_budget

# 501 Not Implemented will not start working on a retry; other 5xx may.
RETRY_STATUSES = frozenset({429, *range(500, 600)} - {501})


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
    """A `requests.Session` (connection pooling) whose every request runs in the current budget."""

    def __init__(self, *, verify: bool | str = True, pool_size: int = 10) -> None:
        super().__init__()
        self.verify = verify
        retry = DeadlineRetry(
            total=50,  # the budget, not a count, ends retrying
            status_forcelist=RETRY_STATUSES,
            allowed_methods=None,  # operations are idempotent in effect, so any method may retry
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
        **kwargs: Any,
    ) -> requests.Response:
        spent = current_budget()
        kwargs["timeout"] = DeadlineTimeout(spent)
        try:
            return super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            raise request_error(exc, spent) from exc


def request_error(exc: requests.RequestException, spent: Budget) -> ConnectorError:
    """A network failure after the retries the budget allowed: retrying later may help."""
    if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
        why = "no answer before the time limit"
    elif isinstance(exc, requests.exceptions.SSLError):
        return ConnectorError(f"TLS failure: {exc}", retryable=False)
    else:
        why = "could not connect"
    return ConnectorError(
        f"{why} ({type(exc).__name__}) after {spent.attempts} attempt(s)", retryable=True
    )


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


def http_error(response: requests.Response, what: str) -> ConnectorError:
    retryable = is_retryable_status(response.status_code)
    message = server_message(response)
    return ConnectorError(
        f"{what}: HTTP {response.status_code} {response.reason}"
        + (f": {message}" if message else ""),
        retryable=retryable,
    )
