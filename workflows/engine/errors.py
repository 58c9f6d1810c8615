"""The engine's exceptions: one small hierarchy, so callers can catch exactly what they mean."""

from __future__ import annotations


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class ExpressionError(EngineError):
    """An expression failed to compile or evaluate; `position` is 1-based when known."""

    def __init__(self, message: str, *, source: str = "", position: int | None = None) -> None:
        self.source = source
        self.position = position
        self.detail = message
        where = f" at column {position}" if position else ""
        super().__init__(f"{message}{where}")


class GraphError(EngineError):
    """A graph cannot be walked (unknown block, missing edge)."""


class StoppedForReview(EngineError):
    """A workflow's own `stop` block: the run must not go on without a person (e.g. a mover left
    without access after a failed grant), so the execution parks with the block's reason."""


class WindowExceeded(BaseException):
    """The execution window ran out. A BaseException so that `except Exception` in connector or
    library code cannot swallow it on the way out of a hung call."""
