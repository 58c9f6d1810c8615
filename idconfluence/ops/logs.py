"""Log lines that say which request, run, execution and workflow they belong to, with secrets
masked by the rule that keeps them out of steps (`idconfluence.redaction`).

`log_context(**fields)` sets fields for everything logged inside it (a contextvar: each thread
and each request has its own); the request-id middleware sets `request_id`, the execution path
sets `execution_id`, `run_id` and `workflow`. `ContextFilter` copies them onto each record on
the handler, so third-party loggers (Django, django-q2) get them too. IDC_LOG_FORMAT chooses
`plain` (the default, for `make run`) or `json` (one JSON object per line, for production).
Nothing here imports a model: logging is configured before the apps are loaded.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from idconfluence.redaction import redact, redact_text

CONTEXT_FIELDS = ("request_id", "workflow", "run_id", "execution_id")
_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "idc_log_context", default=MappingProxyType({})
)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> dict[str, Any]:
    return dict(_context.get())


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class PlainFormatter(logging.Formatter):
    """The classic line, the context appended as key=value, credentials masked."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(
            f"{key}={getattr(record, key)}" for key in CONTEXT_FIELDS if hasattr(record, key)
        )
        return redact_text(f"{line} [{context}]" if context else line)


class JsonFormatter(_JsonFormatter):
    """{"time", "level", "logger", "message", the context fields, any `extra=`, "exc_info"}."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s")
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        """Secret-bearing keys of `extra=` and credential-shaped text anywhere are masked."""
        time = log_data.pop("time", None)
        masked: dict[str, Any] = redact(log_data)
        return {"time": time, **masked} if time is not None else masked
