"""The version console's permission side: versions are seen, edited and published through their
workflow's rules (WORKFLOWS), a block edited inline must reference only connectors its editor may
use, every inline edit makes its editor the draft's `changed_by` (four-eyes), and the publish
review page shows everything that goes live before the button that publishes it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from idconfluence.access import Denied
from idconfluence.validators import multi_line
from workflows import policy
from workflows.access import WORKFLOWS, visible_through_workflow
from workflows.models import FrozenVersionError, WorkflowVersion
from workflows.review import publish_review
from workflows.services.versions import (
    DraftChanged,
    PublishRefused,
    draft_touch,
    version_publish,
)


class PublishForm(forms.Form):
    change_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        max_length=4000,
        validators=[multi_line],
        help_text="What changed and why: shown in the workflow's history.",
    )


class BlockFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """A block may name only connectors the person editing it may use (error on its config)."""

    editor: Any = None

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not form.has_changed():
                continue
            block = {k: data.get(k) for k in ("key", "kind", "type", "config")}
            for error in policy.unusable_connectors(self.editor, {"blocks": [block]}):
                form.add_error("config", error)


class DraftEditing:
    """Mix in before admin.ModelAdmin for WorkflowVersion."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkflowVersion]:
        queryset: QuerySet[WorkflowVersion] = super().get_queryset(request)  # type: ignore[misc]
        return visible_through_workflow(request.user, queryset, "workflow")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff) and WORKFLOWS.can_any(request.user, "view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return WORKFLOWS.can_any(request.user, "view")
        return WORKFLOWS.can(request.user, "view", obj.workflow)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return WORKFLOWS.can_any(request.user, "change")
        return obj.is_draft and WORKFLOWS.can(request.user, "change", obj.workflow)

    def has_publish_permission(self, request: HttpRequest) -> bool:
        return WORKFLOWS.can_any(request.user, "publish")

    def get_formsets_with_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        for formset, inline in super().get_formsets_with_inlines(request, obj):  # type: ignore[misc]
            if issubclass(formset, BlockFormSet):
                formset.editor = request.user
            yield formset, inline

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        if any(fs.has_changed() for fs in formsets):
            draft_touch(version=form.instance, actor=request.user)

    def _version(self, request: HttpRequest, object_id: str) -> WorkflowVersion:
        pk = unquote(object_id)
        version = None
        if pk.isdigit():
            version = self.get_queryset(request).select_related("workflow").filter(pk=pk).first()
        if version is None:
            raise Http404(f"No workflow version with id {object_id!r}.")
        return version

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        version = self._version(request, object_id)
        extra = {
            "can_review_publish": version.is_draft
            and WORKFLOWS.can(request.user, "publish", version.workflow)
        }
        return super().change_view(  # type: ignore[misc, no-any-return]
            request, object_id, form_url, {**extra, **(extra_context or {})}
        )

    def get_urls(self) -> list[Any]:
        opts = self.model._meta  # type: ignore[attr-defined]
        name = f"{opts.app_label}_{opts.model_name}_publish"
        view = self.admin_site.admin_view(self.publish_view)  # type: ignore[attr-defined]
        return [path("<path:object_id>/publish/", view, name=name), *super().get_urls()]  # type: ignore[misc]

    def publish_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: the review; POST: publish through the service (which re-checks everything)."""
        version = self._version(request, object_id)
        if not WORKFLOWS.can(request.user, "publish", version.workflow):
            raise PermissionDenied(f"You may not publish workflow {version.workflow}.")
        form = PublishForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                version_publish(
                    version=version,
                    actor=request.user,
                    change_note=form.cleaned_data["change_note"],
                    reviewed_checksum=str(request.POST.get("reviewed_checksum", "")),
                )
            except PublishRefused as exc:
                for block, found in exc.by_block().items():
                    for text in found:
                        prefix = f"block {block}: " if block else ""
                        self.message_user(request, f"Not published: {prefix}{text}", messages.ERROR)  # type: ignore[attr-defined]
            except (Denied, FrozenVersionError, DraftChanged) as exc:
                self.message_user(request, f"Not published: {exc}", messages.ERROR)  # type: ignore[attr-defined]
            else:
                self.message_user(  # type: ignore[attr-defined]
                    request, f"{version.workflow.slug} v{version.number} published."
                )
                url = reverse("admin:workflows_workflow_versions", args=[version.workflow_id])
                return HttpResponseRedirect(url)
            version.refresh_from_db()
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": self.model._meta,  # type: ignore[attr-defined]
            "original": version,
            "review": publish_review(version, request.user),
            "form": form,
            "title": f"Review and publish {version.workflow.slug} v{version.number}",
        }
        status = 200 if request.method == "GET" else 409 if form.is_valid() else 400
        return TemplateResponse(
            request, "workflows/admin/publish_review.html", context, status=status
        )
