"""A job is one admin action on many objects; each object is an item with its own outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from idconfluence.jobs.status import ItemState


class AdminJob(models.Model):
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "background job"

    def __str__(self) -> str:
        return f"{self.title} (job {self.pk})"


class AdminJobItem(models.Model):
    job = models.ForeignKey(AdminJob, on_delete=models.CASCADE, related_name="items")
    seq = models.PositiveIntegerField()
    object_id = models.CharField(max_length=64)
    label = models.CharField(max_length=200)
    state = models.CharField(max_length=16, choices=ItemState.choices, default=ItemState.PENDING)
    message = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)  # last handed to the broker
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="job_item_seq")]
        indexes = [models.Index(fields=["state", "sent_at"], name="job_item_open")]

    def __str__(self) -> str:
        return f"{self.label}: {self.state}"
