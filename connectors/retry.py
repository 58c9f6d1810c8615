"""A call's time budget and retries inside it, shared by every networked connector type.

A connector call may take at most the time left in the execution window (`options.timeout`).
`Budget` holds that deadline for the whole call (however many requests it makes), network
code asks it for the time left, and `retrying` (tenacity) retries transient failures with
exponential backoff and jitter only while a new attempt still fits.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from tenacity import (
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    wait_random_exponential,
)

from connectors.base import CallOptions, Connector, ConnectorError, Outcome, Result

logger = logging.getLogger("connectors")
T = TypeVar("T")

# Below this many seconds a new attempt cannot do useful work: give up instead.
MIN_ATTEMPT_SECONDS = 0.05


@dataclass
class Budget:
    """The deadline of one connector call, and how many retries were spent inside it."""

    deadline: float
    retries: int = 0

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def left(self) -> float:
        """Time left as a socket timeout: never zero or negative (which would mean 'block')."""
        return max(self.remaining(), 0.001)

    def allows(self, sleep: float) -> bool:
        return self.remaining() - sleep >= MIN_ATTEMPT_SECONDS

    @property
    def attempts(self) -> int:
        return self.retries + 1


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("budget", default=None)


@contextmanager
def budget(timeout: float) -> Iterator[Budget]:
    """Run a block with `timeout` seconds in total for all its network calls and retries."""
    current = Budget(deadline=time.monotonic() + max(timeout, 0.0))
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def current_budget() -> Budget:
    found = _current.get()
    if found is None:
        raise RuntimeError("network call outside a connector budget (use retry.budget(timeout))")
    return found


def retrying(
    fn: Callable[[], T],
    *,
    retry_on: tuple[type[BaseException], ...],
    unless: Callable[[BaseException], bool] = lambda exc: False,
    multiplier: float = 0.1,
    max_wait: float = 2.0,
) -> T:
    """Call `fn`, retrying `retry_on` errors (but not those `unless` picks out) with backoff and
    jitter while the budget allows."""
    spent = current_budget()

    def stop(state: Any) -> bool:
        return not spent.allows(state.upcoming_sleep)

    def count(state: Any) -> None:
        spent.retries += 1

    retryer = Retrying(
        retry=retry_if_exception_type(retry_on) & retry_if_exception(lambda exc: not unless(exc)),
        wait=wait_random_exponential(multiplier=multiplier, max=max_wait),
        stop=stop,
        before_sleep=count,
        reraise=True,
    )
    return retryer(fn)


class BudgetedConnector(Connector):
    """A connector type whose calls run inside a `Budget` and whose library errors are translated.

    Subclasses implement `translate(exc)`: turn a library exception into a `ConnectorError`
    (return None to let it propagate as a bug). Messages are redacted before they leave.
    """

    def translate(self, exc: Exception) -> ConnectorError | None:
        return None

    def redact(self, text: str) -> str:
        text = super().redact(text)
        for value in self.extra_redactions():
            if value and len(value) >= 4:
                text = text.replace(value, "***")
        return text

    def extra_redactions(self) -> list[str]:
        """Derived credentials (access tokens, Basic header values) to hide as well."""
        return []

    def _dispatch(self, operation: str, args: dict[str, Any], options: CallOptions) -> Result:
        parent = super()._dispatch
        return self._budgeted(options.timeout, operation, lambda: parent(operation, args, options))

    def test_connection(self, *, timeout: float) -> Result:
        return self._budgeted(timeout, "test_connection", self.check)

    def check(self) -> Result:
        """Reachability and credentials check, run inside a budget; types override it."""
        return Result(Outcome.ALREADY, "nothing to check for this connector type")

    def _budgeted(self, timeout: float, what: str, fn: Callable[[], Result]) -> Result:
        started = time.monotonic()
        with budget(timeout) as spent:
            try:
                result = fn()
            except ConnectorError as exc:
                result = Result(exc.outcome, str(exc))
            except Exception as exc:
                error = self.translate(exc)
                if error is None:
                    raise
                result = Result(error.outcome, str(error))
        result = replace(
            result,
            message=self.redact(result.message),
            data=json.loads(self.redact(json.dumps(result.data, default=str))),
            attempts=max(result.attempts, spent.attempts),
            duration_ms=result.duration_ms or int((time.monotonic() - started) * 1000),
        )
        logger.info(
            "connector %s %s: %s after %d attempt(s) in %d ms: %s",
            self.name,
            what,
            result.outcome.value,
            result.attempts,
            result.duration_ms,
            result.message,
        )
        return result
