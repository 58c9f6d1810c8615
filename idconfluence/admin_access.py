"""The console's side of the choke point: a ModelAdmin mixin that asks an object type's `Rules`
for every list, page, button and save, and lets an owner share an object with users or groups
(guardian's object-permissions pages, limited to the actions the sharer holds themselves).

Others' objects are absent from lists and answer 404 on their pages (not the admin's redirect
to the index, which would tell nothing and look like success to a script).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    GuardedModelAdminMixin,
)

from idconfluence.access import Rules


def _shareable_form(base: type, rules: Rules[Any], sharer: Any) -> type:
    """The permission form offering only the object's owner actions the sharer holds on it."""

    class ShareForm(base):  # type: ignore[misc]
        def get_obj_perms_field_choices(self) -> list[tuple[str, str]]:
            codenames = {
                rules.perm(action).split(".", 1)[1]: action
                for action in rules.owner_actions
                if rules.can(sharer, action, self.obj)
            }
            names = dict(
                Permission.objects.filter(
                    content_type__app_label=rules.model._meta.app_label,
                    codename__in=codenames,
                ).values_list("codename", "name")
            )
            return [(code, names.get(code, code)) for code in codenames]

    return ShareForm


class RulesAdminMixin(GuardedModelAdminMixin):
    """Mix in before admin.ModelAdmin; set `rules`. Delete stays a model permission."""

    rules: Rules[Any]
    #: what a user must hold on an object to share it
    share_action = "change"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[no-untyped-call]
        return self.rules.visible(request.user, "view", queryset)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff) and self.rules.can_any(request.user, "view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.rules.can_any(request.user, "view")
        return self.rules.can(request.user, "view", obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.rules.can_any(request.user, "change")
        return self.rules.can(request.user, "change", obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.rules.can(request.user, "add")

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self.visible_object(request, object_id)
        answer: HttpResponse = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        return answer

    def visible_object(self, request: HttpRequest, object_id: str) -> Any:
        from django.contrib.admin.utils import unquote

        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is None:
            raise Http404(f"No {self.rules.model._meta.verbose_name} with id {object_id!r}.")
        return obj

    def _may_share(self, request: HttpRequest, object_pk: str) -> None:
        obj = self.visible_object(request, object_pk)
        if not self.rules.can(request.user, self.share_action, obj):
            raise PermissionDenied(f"You may not share {obj}: you cannot {self.share_action} it.")

    def obj_perms_manage_view(self, request: HttpRequest, object_pk: str) -> Any:
        self._may_share(request, object_pk)
        return super().obj_perms_manage_view(request, object_pk)  # type: ignore[no-untyped-call]

    def obj_perms_manage_user_view(self, request: HttpRequest, object_pk: str, user_id: Any) -> Any:
        self._may_share(request, object_pk)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)  # type: ignore[no-untyped-call]

    def obj_perms_manage_group_view(
        self, request: HttpRequest, object_pk: str, group_id: Any
    ) -> Any:
        self._may_share(request, object_pk)
        return super().obj_perms_manage_group_view(  # type: ignore[no-untyped-call]
            request, object_pk, group_id
        )

    def get_obj_perms_manage_user_form(self, request: HttpRequest) -> Any:
        return _shareable_form(AdminUserObjectPermissionsForm, self.rules, request.user)

    def get_obj_perms_manage_group_form(self, request: HttpRequest) -> Any:
        return _shareable_form(AdminGroupObjectPermissionsForm, self.rules, request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if not change:
            self.rules.grant_creator(request.user, obj)
