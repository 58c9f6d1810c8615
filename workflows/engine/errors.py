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


class WindowExceeded(BaseException):
    """The execution window ran out. A BaseException so that `except Exception` in connector or
    library code cannot swallow it on the way out of a hung call."""
