"""Admin pieces shared by the workflow consoles: read-only inlines and service-error messages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest

from idconfluence.admin_base import ReadOnlyAdmin, ReadOnlyInline

__all__ = ["ReadOnlyAdmin", "ReadOnlyInline", "report"]


def report(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    ok: list[str],
    failed: list[str],
) -> None:
    for text in ok:
        modeladmin.message_user(request, text, messages.SUCCESS)
    for text in failed:
        modeladmin.message_user(request, text, messages.ERROR)
