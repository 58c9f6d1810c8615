"""The execution window: deadline arithmetic, and a hard stop that interrupts even a hung socket.

A cooperative check between steps cannot stop a call blocked in recv(), so the hard stop arms
SIGALRM (real-time interval timer): the signal interrupts the system call and the handler
raises WindowExceeded in the running frame. Database writes run `shielded()`, so a stop never
lands half-way through a commit; it is raised as soon as the shield ends. The timer is shared
with django-q2's own SIGALRM backstop, so the previous timer is re-armed on exit.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from workflows.engine.errors import WindowExceeded

# Once fired, the stop fires again this often until it is left: code that swallowed it once
# (a connector catching BaseException in a loop) is interrupted again.
REFIRE_SECONDS = 0.25


@dataclass(frozen=True)
class Deadline:
    """A point on a caller-supplied clock (seconds). Time is passed in, never read here."""

    at: float

    def remaining(self, now: float) -> float:
        return max(0.0, self.at - now)

    def exceeded(self, now: float) -> bool:
        return now >= self.at

    def call_timeout(self, now: float, *, cap: float | None = None, floor: float = 0.05) -> float:
        """One outbound call's timeout: the time left, at most `cap`; past the window, raise."""
        left = self.remaining(now)
        if left <= 0:
            raise WindowExceeded("no time left in the execution window")
        timeout = min(left, cap) if cap is not None else left
        return max(timeout, min(floor, left))


class HardStop:
    """Arms a real-time timer for `seconds`; see the module docstring."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(seconds, 0.001)
        self.armed = False
        self._shield_depth = 0
        self._pending = False
        self._fired = False
        self._previous_handler: object = None
        self._previous_timer = 0.0
        self._entered_at = 0.0

    @property
    def fired(self) -> bool:
        return self._fired

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        self._fired = True
        if self._shield_depth or not self.armed:
            self._pending = True
            return
        raise WindowExceeded("execution window exceeded")

    def __enter__(self) -> HardStop:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals only reach the main thread; callers fall back to timeouts
        self._previous_handler = signal.signal(signal.SIGALRM, self._on_alarm)
        self._previous_timer, _ = signal.setitimer(signal.ITIMER_REAL, self.seconds, REFIRE_SECONDS)
        self._entered_at = time.monotonic()
        self.armed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.armed:
            return
        while True:  # a re-fire landing here, before the timer is off, must not escape
            try:
                self.armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                break
            except WindowExceeded:
                continue
        signal.signal(signal.SIGALRM, self._previous_handler)  # type: ignore[arg-type]
        if self._previous_timer:
            left = self._previous_timer - (time.monotonic() - self._entered_at)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))

    @contextmanager
    def shielded(self) -> Iterator[None]:
        """Defer the stop while the block runs (database writes); raise it right after."""
        self._shield_depth += 1
        try:
            yield
        finally:
            self._shield_depth -= 1
        if not self._shield_depth and self._pending:
            self._pending = False
            raise WindowExceeded("execution window exceeded")
