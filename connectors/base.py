"""The Connector interface: the identity operations every connector type offers, one result shape.

Workflows call connectors only through `Connector.call` (or `Connector.plan` for a dry run), so
the engine never needs to know which protocol sits behind a block.
"""

from __future__ import annotations

import enum
import logging
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

logger = logging.getLogger(__name__)

# The identity operations a block may ask for, and the arguments each one takes.
OPERATIONS: dict[str, tuple[str, ...]] = {
    "provision_access": ("user", "resource"),
    "revoke_access": ("user", "resource"),
    "assign_role": ("user", "role"),
    "remove_role": ("user", "role"),
    "add_group_member": ("user", "group"),
    "remove_group_member": ("user", "group"),
    "remove_all_groups": ("user",),  # a leaver: every group the target lists the user in
    "get_user": ("user",),
    "notify": ("to", "subject", "body"),
}
# Operations that only read: a step calling them changes nothing outside.
READ_ONLY_OPERATIONS = frozenset({"get_user"})


class Outcome(enum.StrEnum):
    CHANGED = "changed"
    ALREADY = "already"  # the target was already in the requested state; nothing changed
    RETRYABLE = "failed_retryable"
    PERMANENT = "failed_permanent"
    WOULD_CHANGE = "would_change"  # dry run only
    # The request may have reached the target and been applied (a timeout after it was sent, a
    # 5xx answer to a write, a worker lost during the call): never a clean failure. A retry
    # reconciles, reading the target before applying again.
    UNKNOWN = "unknown"

    @property
    def ok(self) -> bool:
        return self in {Outcome.CHANGED, Outcome.ALREADY, Outcome.WOULD_CHANGE}


@dataclass(frozen=True)
class Result:
    """What one connector call did. `data` is plain JSON and never holds a credential."""

    outcome: Outcome
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    attempts: int = 1
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "message": self.message,
            "data": self.data,
            "attempts": self.attempts,
            "duration_ms": self.duration_ms,
        }


class ConnectorError(Exception):
    """A call failed; `retryable` says whether trying later may help, `unknown` that the change
    may have been applied all the same (the request left, no clear answer came back)."""

    def __init__(self, message: str, *, retryable: bool = False, unknown: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.unknown = unknown

    @property
    def outcome(self) -> Outcome:
        if self.unknown:
            return Outcome.UNKNOWN
        return Outcome.RETRYABLE if self.retryable else Outcome.PERMANENT


@dataclass(frozen=True)
class CallOptions:
    """How long a call may take (the time left in the execution window) and whether to write.

    `idempotency_key` is stable across retries of the same block in the same run: types send
    it where the target supports one (an `Idempotency-Key` header, a message id) so a repeat is
    recognised. `reconcile` is set when an earlier attempt's outcome is unknown: read the
    target's state before applying, and say in the result that it was reconciled.
    """

    timeout: float
    dry_run: bool = False
    idempotency_key: str = ""
    reconcile: bool = False


class Connector:
    """Base class of connector types. Subclasses implement `op_<operation>` methods.

    A type declares the operations it supports, the JSON Schema of its plain config and the
    names of its secret fields (stored encrypted, handed in as `secrets`, never returned).
    Each `op_*` receives the operation's arguments and a `CallOptions`; it must honour
    `options.timeout` on every network call and, when `options.dry_run` is set, read only
    and answer WOULD_CHANGE or ALREADY.
    """

    type_name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    operations: ClassVar[frozenset[str]] = frozenset()
    config_schema: ClassVar[dict[str, Any]] = {"type": "object"}
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, name: str, config: dict[str, Any], secrets: dict[str, str]) -> None:
        self.name = name
        self.config = config
        self.secrets = secrets

    def supports(self, operation: str) -> bool:
        return operation in self.operations

    def call(
        self,
        operation: str,
        args: dict[str, Any],
        *,
        timeout: float,
        idempotency_key: str = "",
        reconcile: bool = False,
    ) -> Result:
        options = CallOptions(timeout=timeout, idempotency_key=idempotency_key, reconcile=reconcile)
        return self._guarded(operation, args, options)

    def plan(self, operation: str, args: dict[str, Any], *, timeout: float) -> Result:
        """Dry run: what the call would change, read from the target where the type can."""
        return self._guarded(operation, args, CallOptions(timeout=timeout, dry_run=True))

    def _guarded(self, operation: str, args: dict[str, Any], options: CallOptions) -> Result:
        """A bug or an untranslated library error becomes a failed, redacted result."""
        try:
            return self._dispatch(operation, args, options)
        except Exception as exc:
            message = self.redact(f"unexpected {type(exc).__name__}: {exc}")
            logger.warning("connector %s: %s failed: %s", self.name, operation, message)
            return Result(Outcome.PERMANENT, message)

    def test_connection(self, *, timeout: float) -> Result:
        """Check reachability and credentials; types override this."""
        return Result(Outcome.ALREADY, "nothing to check for this connector type")

    def redact(self, text: str) -> str:
        """Remove every secret value from a message before it is stored or shown."""
        for value in self.secrets.values():
            if value and len(value) >= 4:
                text = text.replace(value, "***")
        return text

    def _dispatch(self, operation: str, args: dict[str, Any], options: CallOptions) -> Result:
        if not self.supports(operation):
            return Result(
                Outcome.PERMANENT,
                f"connector {self.name!r} ({self.type_name}) does not support {operation!r}",
            )
        missing = [name for name in OPERATIONS[operation] if args.get(name) in (None, "")]
        if missing:
            return Result(Outcome.PERMANENT, f"{operation} needs {', '.join(missing)}")
        method = getattr(self, f"op_{operation}")
        started = time.monotonic()
        try:
            result: Result = method(options=options, **args)
        except ConnectorError as exc:
            result = Result(exc.outcome, str(exc))
        duration_ms = int((time.monotonic() - started) * 1000)
        return Result(
            result.outcome,
            self.redact(result.message),
            result.data,
            result.attempts,
            result.duration_ms or duration_ms,
        )
