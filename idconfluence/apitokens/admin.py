"""API tokens in the console: issue one (its text is shown once, then only its prefix), revoke.

Tokens are never edited or deleted: a revoked token stays listed, as the audit log's evidence.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from idconfluence.apitokens.models import ApiToken
from idconfluence.apitokens.services import token_issue, token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "user", "scope", "prefix", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("scope",)
    search_fields = ("name", "prefix", "user__username")
    fields = ("name", "user", "scope", "expires_at")
    readonly_fields = ("prefix", "created_at", "created_by", "revoked_at", "revoked_by")
    actions = ["revoke"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # A token acts as its user: only a superuser may issue one for someone else.
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = get_user_model().objects.filter(pk=request.user.pk or 0)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return (*self.fields, *self.readonly_fields, "last_used_at")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields if obj is None else self.get_readonly_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:  # every field is read-only once issued: nothing to write
            return
        # Kept on the instance for response_add only: never in a message (a cookie) or a log.
        obj._issued_text = token_issue(token=obj, actor=request.user)  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: Any = None
    ) -> Any:
        context = {
            **self.admin_site.each_context(request),
            "title": "API token issued",
            "token": obj,
            "text": obj._issued_text,  # type: ignore[attr-defined]
            "changelist": reverse("admin:apitokens_apitoken_changelist"),
        }
        response = TemplateResponse(request, "admin/apitokens/issued.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(permissions=["change"], description="Revoke selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = sum(token_revoke(token=token, actor=request.user) for token in queryset)
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)
