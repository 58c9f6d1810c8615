"""Admin pieces shared by the workflow consoles: read-only inlines and service-error messages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    """History is shown, never edited."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def report(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    ok: list[str],  # type: ignore[type-arg]
    failed: list[str],
) -> None:
    for text in ok:
        modeladmin.message_user(request, text, messages.SUCCESS)
    for text in failed:
        modeladmin.message_user(request, text, messages.ERROR)
