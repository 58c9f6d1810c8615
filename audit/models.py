"""Audit events: append-only, hash-chained rows, one per fact; only `audit.record` writes them.

An event's `seq` is its place in the chain and its primary key; `prev_hash` and `hash` link it to
its neighbour (see audit/chain.py). Nothing here may change or remove a stored event: the model
and its QuerySet refuse, the admin is read-only and, on PostgreSQL, a trigger refuses too.

With the sequencer on (PostgreSQL), a transaction writes its events as `PendingAuditEvent` rows,
touching no shared row, and the sequencer (audit/sequencer.py) moves them into the chain in
batches: the event is stored with the change it records, and sealed within the merge delay.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a stored audit event."""


def _refuse(*args: Any, **kwargs: Any) -> NoReturn:
    raise AppendOnlyError("audit events are append-only; write them with audit.record()")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    update = _refuse
    delete = _refuse
    bulk_update = _refuse
    update_or_create = _refuse

    # Used by audit.services only: rows arrive already chained (seq, prev_hash, hash).
    def _append_chained(self, events: list[AuditEvent]) -> list[AuditEvent]:
        return super().bulk_create(events)

    bulk_create = _refuse


class ActorKind(models.TextChoices):
    USER = "user", "User"
    APPROVER = "approver", "Approver (by email)"
    SYSTEM = "system", "System"
    ANONYMOUS = "anonymous", "Anonymous"


class EventContent(models.Model):
    """What an event says, sealed or not."""

    occurred_at = models.DateTimeField(editable=False)
    # No database constraint and no cascade: deleting a user must not touch (or be blocked by)
    # the append-only table; actor_label keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_kind = models.CharField(max_length=20, choices=ActorKind.choices)
    actor_label = models.CharField(max_length=255, blank=True)
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    workflow_id = models.BigIntegerField(null=True, blank=True)
    run_id = models.BigIntegerField(null=True, blank=True)
    execution_id = models.BigIntegerField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)

    class Meta:
        abstract = True


class AuditEvent(EventContent):
    seq = models.BigIntegerField(primary_key=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-seq"]
        # Every filter the auditors use is an equality plus the date range, newest first.
        indexes = [
            models.Index(fields=["occurred_at", "seq"], name="audit_time_idx"),
            models.Index(fields=["action", "occurred_at"], name="audit_action_time_idx"),
            models.Index(fields=["actor_label", "occurred_at"], name="audit_actor_time_idx"),
            models.Index(fields=["workflow_id", "occurred_at"], name="audit_workflow_time_idx"),
            models.Index(fields=["run_id"], name="audit_run_idx"),
            models.Index(
                fields=["target_type", "target_id", "occurred_at"], name="audit_target_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_label}"

    def save(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()


class PendingQuerySet(models.QuerySet["PendingAuditEvent"]):
    update = _refuse
    bulk_update = _refuse
    update_or_create = _refuse


class PendingAuditEvent(EventContent):
    """An event stored in its transaction and not yet given its place in the chain.

    `occurred_at` is when it was recorded; sealing keeps it unless an event already sealed is
    later (a transaction that committed after a newer one), so time never goes back along the
    chain. Only the sequencer removes these rows (a PostgreSQL trigger refuses anyone else).
    """

    id = models.BigAutoField(primary_key=True)

    objects = PendingQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["occurred_at"], name="audit_pending_time_idx")]

    def __str__(self) -> str:
        return f"pending {self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.target_label}"


class AuditChainHead(models.Model):
    """The one row writers lock to append: the last event's seq, hash and time."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"chain head at #{self.seq}"
