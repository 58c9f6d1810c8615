"""The progress page of a background job (done / failed / remaining, each item's message), and
`start_in_background`, which admin actions call to hand their selection to a job."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from idconfluence.admin_base import ReadOnlyAdmin
from idconfluence.jobs import registry
from idconfluence.jobs.models import AdminJob, AdminJobItem
from idconfluence.jobs.registry import ItemRefused
from idconfluence.jobs.services import job_progress, job_start

REFRESH_SECONDS = 2
#: A selection this small is handled in the request (instant feedback); more go to a job.
INLINE_LIMIT = 1


def act_or_start(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    kind: str,
    rows: Sequence[Any],
    label: Callable[[Any], str],
) -> HttpResponse | None:
    """For a database-only admin action: one row now, with its message; many in a job."""
    if len(rows) > INLINE_LIMIT:
        return start_in_background(modeladmin, request, kind, ((r.pk, label(r)) for r in rows))
    handle = registry.get(kind).handle
    for row in rows:
        try:
            modeladmin.message_user(request, f"{label(row)}: {handle(str(row.pk), request.user)}")
        except (ItemRefused, PermissionDenied) as exc:
            modeladmin.message_user(request, f"{label(row)}: {exc}", messages.ERROR)
    return None


def start_in_background(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    kind: str,
    objects: Iterable[tuple[Any, str]],
) -> HttpResponse:
    """For an admin action: start the job and answer at once with its progress page."""
    job = job_start(kind=kind, objects=objects, actor=request.user)
    modeladmin.message_user(request, f"{job.title}: running in the background (job {job.pk}).")
    return HttpResponseRedirect(reverse("admin:jobs_adminjob_change", args=[job.pk]))


@admin.register(AdminJob)
class AdminJobAdmin(ReadOnlyAdmin):
    """Everyone on the staff sees their own jobs; superusers see all."""

    list_display = ("title", "created_by", "created_at", "progress", "finished_at")
    list_filter = ("kind", "created_at")
    change_form_template = "admin/jobs/progress.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AdminJob]:
        queryset = super().get_queryset(request).select_related("created_by")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(created_by=request.user.pk)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return obj is None or user.is_superuser or obj.created_by_id == user.pk

    @admin.display(description="Progress")
    def progress(self, obj: AdminJob) -> str:
        p = job_progress(obj)
        return f"{p.done} done, {p.failed} failed, {p.remaining} remaining"

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        job = self.get_object(request, object_id)
        extra: dict[str, Any] = {}
        if job is not None and self.has_view_permission(request, job):
            extra = {
                "job": job,
                "progress": job_progress(job),
                "items": AdminJobItem.objects.filter(job=job).order_by("seq"),
                "refresh_seconds": None if job.finished_at else REFRESH_SECONDS,
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})
