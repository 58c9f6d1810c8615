"""What a published trigger sets up (a schedule's clock, a webhook's endpoint and secret), and
resuming a waiting run from a signed callback URL.

`triggers_sync` runs in the publishing transaction (a post_save receiver in models_triggers), so
a workflow's schedule and endpoint always follow its published trigger.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import record
from workflows.access import WORKFLOWS
from workflows.engine.errors import ExpressionError
from workflows.engine.samples import event_skeleton
from workflows.models import Execution, Run, Workflow, WorkflowVersion
from workflows.models_triggers import TriggerSchedule, WebhookEndpoint
from workflows.programs import load_program
from workflows.services.runs import NotRetryable, run_resume
from workflows.services.schedules import schedule_sync
from workflows.triggers import trigger_setting
from workflows.triggers.keys import new_secret, new_token, seal, unseal
from workflows.triggers.tokens import BadResumeToken, read_resume_token, resume_token

SECRET_GRACE = timedelta(hours=24)


def triggers_sync(*, version: WorkflowVersion, now: datetime | None = None) -> None:
    """Make the workflow's schedule and endpoint follow `version`'s (published) trigger."""
    trigger = version.blocks.filter(kind="trigger").first()
    workflow, kind = version.workflow, trigger.type if trigger else ""
    if trigger is not None and kind == "schedule":
        schedule_sync(workflow=workflow, config=trigger.config, now=now or timezone.now())
    else:
        TriggerSchedule.objects.filter(workflow=workflow).update(active=False, next_fire_at=None)
    if kind == "webhook":
        endpoint, _ = WebhookEndpoint.objects.get_or_create(
            workflow=workflow, defaults={"token": new_token()}
        )
        if not endpoint.active:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=True)
    else:
        WebhookEndpoint.objects.filter(workflow=workflow).update(active=False)


def endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor: Any, grace: timedelta = SECRET_GRACE
) -> str:
    """A new signing secret, returned once and stored only encrypted; the previous one keeps
    working for `grace` so the sender can switch over without losing deliveries."""
    WORKFLOWS.require_person(actor, "change", endpoint.workflow)
    secret = new_secret()
    now = timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if endpoint.secret_encrypted:
            endpoint.previous_secret_encrypted = endpoint.secret_encrypted
            endpoint.previous_valid_until = now + grace
        endpoint.secret_encrypted, endpoint.secret_rotated_at = seal(secret), now
        endpoint.save()
        record(
            action="webhook.secret_rotated",
            actor=actor,
            target=endpoint,
            workflow_id=endpoint.workflow_id,
            details={"previous_valid_until": endpoint.previous_valid_until},
        )
    return secret


def endpoint_new_address(*, endpoint: WebhookEndpoint, actor: Any) -> WebhookEndpoint:
    """A new unguessable token: the old URL stops answering at once (for a leaked address)."""
    WORKFLOWS.require_person(actor, "change", endpoint.workflow)
    with transaction.atomic():
        endpoint.token = new_token()
        endpoint.save(update_fields=["token"])
        record(
            action="webhook.address_changed",
            actor=actor,
            target=endpoint,
            workflow_id=endpoint.workflow_id,
        )
    return endpoint


def endpoint_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    secrets = [unseal(endpoint.secret_encrypted)] if endpoint.secret_encrypted else []
    until = endpoint.previous_valid_until
    if endpoint.previous_secret_encrypted and until and until > now:
        secrets.append(unseal(endpoint.previous_secret_encrypted))
    return secrets


def endpoint_path(endpoint: WebhookEndpoint) -> str:
    return reverse("hooks:webhook", args=[endpoint.token])


def workflow_endpoint(workflow: Workflow) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(workflow=workflow).first()


class ResumeRefused(Exception):
    """A callback that cannot resume anything; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def resume_path(*, run_id: int, block_key: str, outcome: str = "") -> str:
    """The callback path a workflow hands to an outside system (or an approval email)."""
    token = resume_token(run_id=run_id, block_key=block_key, outcome=outcome)
    return reverse("hooks:resume", args=[token])


def callback_resume(
    *, token: str, outcome: str = "", payload: dict[str, Any] | None = None
) -> Execution:
    """Continue the run the token names at the outcome edge; only once (run_resume refuses a
    second resume under the run's row lock)."""
    max_age = timedelta(days=trigger_setting("RESUME_TOKEN_MAX_AGE_DAYS", 30))
    try:
        claim = read_resume_token(token, max_age=max_age)
    except BadResumeToken as exc:
        raise ResumeRefused(410 if exc.expired else 404, str(exc)) from None
    if claim.outcome and outcome and outcome != claim.outcome:
        raise ResumeRefused(400, f"this link resumes with {claim.outcome!r}, not {outcome!r}")
    outcome = claim.outcome or outcome
    if not outcome:
        raise ResumeRefused(400, 'name the outcome: {"outcome": "...", "payload": {...}}')
    run = Run.objects.select_related("version", "version__workflow").filter(pk=claim.run_id).first()
    if run is None:
        raise ResumeRefused(404, "this callback link is not valid")
    program = load_program(run.version)
    if claim.block_key not in program.graph.blocks:
        raise ResumeRefused(404, "this callback link is not valid")
    block, block_type = program.block(claim.block_key), program.types[claim.block_key]
    allowed = {
        *block_type.required_outcomes(block.config),
        *block_type.optional_outcomes(block.config),
        *program.graph.outcomes_of(block.key),
    }
    if outcome not in allowed:
        raise ResumeRefused(
            400, f"{block.key} has no outcome {outcome!r} (it has: {', '.join(sorted(allowed))})"
        )
    try:
        return run_resume(
            run=run,
            block_key=claim.block_key,
            outcome=outcome,
            payload=payload,
            actor_label="callback",
        )
    except NotRetryable as exc:
        raise ResumeRefused(409, str(exc)) from None


def trigger_sample(version: WorkflowVersion | None) -> dict[str, Any]:
    """The input Run now starts from: the trigger's sample, seen through a webhook's mapping."""
    if version is None:
        return {}
    program = load_program(version)
    trigger = program.graph.trigger()
    sample = program.block(trigger.key).config.get("sample") or {}
    if not sample:  # nothing declared: what the workflow reads, with plausible values
        return event_skeleton(program)
    receive = getattr(program.types[trigger.key], "receive", None)
    if receive is None:
        return dict(sample)
    try:
        event = receive(program.configs[trigger.key], sample).event
    except ExpressionError:
        event = None
    return event if event is not None else dict(sample)


def endpoint_rotate_keys() -> int:
    """Re-encrypt every webhook signing secret (current and previous) under the newest
    IDC_ENCRYPTION_KEYS key, beside connector_rotate_secrets: after both, old keys can go."""
    from connectors.crypto import rotate

    rotated = 0
    with transaction.atomic():
        endpoints = WebhookEndpoint.objects.select_for_update().exclude(secret_encrypted="")
        for endpoint in endpoints.only("pk", "secret_encrypted", "previous_secret_encrypted"):
            endpoint.secret_encrypted = rotate(endpoint.secret_encrypted)
            endpoint.previous_secret_encrypted = rotate(endpoint.previous_secret_encrypted)
            endpoint.save(update_fields=["secret_encrypted", "previous_secret_encrypted"])
            rotated += 1
        record(action="webhook.keys_rotated", details={"endpoints": rotated})
    return rotated
