"""Receiving one webhook delivery: the acknowledgement path, answered as soon as the run is stored.

Cheap refusals come first and the body is read only up to the trigger's limit. An accepted
delivery is one transaction (the run, its first execution, the delivery row, the audit event
batched last so the audit chain's lock is held only for the commit). A replay of the same event
hits the unique (endpoint, event key) constraint, rolls back, and answers with the first run.
Every delivery to a known address is recorded; refused ones without their body, and also in the
audit log. Two kinds are only counted, so that senders who have not authenticated cannot grow the
logs at will (workflows/services/webhook_limits.py): addresses that name no active endpoint, per
source, and deliveries past the endpoint's per-minute limit, answered 429 with Retry-After.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.db.models.expressions import Col
from django.utils import timezone

from audit.services import batch as audit_batch
from audit.services import record
from idconfluence.intake import IntakeError, parse_json, safe_excerpt
from idconfluence.redaction import redact
from idconfluence.sql import prepared_cursor
from workflows.engine.blocks.trigger import WebhookTrigger
from workflows.engine.errors import ExpressionError
from workflows.models import Workflow, WorkflowVersion
from workflows.models_triggers import DeliveryOutcome, WebhookDelivery, WebhookEndpoint
from workflows.programs import load_program
from workflows.services import intake_sql
from workflows.services.runs import NotRunnable, run_start
from workflows.services.triggers import endpoint_secrets
from workflows.services.webhook_limits import (
    OverLimit,
    count_delivery,
    count_unknown,
    counted_by_lookup,
    lookup_count_sql,
    minute_of,
    rate_limit,
    verdict,
)
from workflows.status import TriggerKind, VersionState
from workflows.triggers.auth import Unauthorized, authenticate
from workflows.triggers.body import BodyLengthRequired, BodyTooLarge

logger = logging.getLogger(__name__)
JSON_TYPES = ("application/json",)
SIGNED_HEADERS = {"webhook-signature", "proxy-authorization"}

MASK = "********"  # how a hidden header reads in the delivery log


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Delivery:
    """What is known of a delivery so far; recorded whatever its outcome."""

    endpoint: WebhookEndpoint | None
    headers: Mapping[str, str]
    remote_addr: str | None
    received_at: datetime
    hidden: set[str] = field(default_factory=lambda: set(SIGNED_HEADERS))
    body_size: int | None = None
    event_key: str = ""
    ids: tuple[int, int] | None = None  # the run's and execution's, drawn by the lookup

    def row(self, outcome: str, status: int, **fields: Any) -> WebhookDelivery:
        headers = {
            name: MASK if name in self.hidden else value for name, value in self.headers.items()
        }
        return WebhookDelivery(
            endpoint=self.endpoint,
            received_at=self.received_at,
            outcome=outcome,
            status_code=status,
            event_key=self.event_key,
            headers=redact(headers, MASK),
            body_size=self.body_size,
            remote_addr=self.remote_addr,
            **fields,
        )


def webhook_receive(
    *,
    token: str,
    headers: Mapping[str, str],
    remote_addr: str | None,
    read_body: Callable[[int], bytes],
) -> Answer:
    """Answer one delivery to `/hooks/<token>/`. `headers` have lower-case names; `read_body(n)`
    returns the body or raises BodyTooLarge past n bytes (BodyLengthRequired for a chunked body
    the server cannot read: 411, never a misleading 401 on an empty body)."""
    received_at = timezone.now()
    if not _plausible_token(token):  # %00 or non-ASCII cannot name an endpoint
        return _unknown_address(remote_addr, received_at)
    now = received_at.timestamp()
    found = _published_version(token, now)
    endpoint, version = found.endpoint, found.version
    if endpoint is None:
        return _unknown_address(remote_addr, received_at)
    over = count_delivery(endpoint.pk, now) if found.hits is None else verdict(found.hits, now)
    if over is not None:
        return _too_many(endpoint, over)
    delivery = _Delivery(endpoint, _safe_headers(headers), remote_addr, received_at, ids=found.ids)
    if version is None:
        return _refuse(delivery, 409, "the workflow has no published version")
    program = load_program(version)
    trigger = program.graph.trigger()
    webhook, config = program.types[trigger.key], program.configs[trigger.key]
    if not isinstance(webhook, WebhookTrigger):
        return _refuse(delivery, 409, "the published version is not triggered by a webhook")
    auth = WebhookTrigger.auth(config)
    if auth.get("header"):
        delivery.hidden.add(auth["header"].lower())
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        return _refuse(delivery, 415, "send the payload as Content-Type: application/json")
    limit = WebhookTrigger.max_body_bytes(config)
    try:
        body = read_body(limit)
    except BodyTooLarge as exc:
        delivery.body_size = exc.declared
        return _refuse(delivery, 413, str(exc))
    except BodyLengthRequired as exc:
        return _refuse(delivery, 411, str(exc))
    delivery.body_size = len(body)
    try:
        message_id = authenticate(
            auth=auth,
            secrets=endpoint_secrets(endpoint, delivery.received_at),
            headers=headers,
            body=body,
        )
    except Unauthorized as exc:
        return _refuse(delivery, 401, str(exc))
    if not endpoint.workflow.enabled:
        return _refuse(delivery, 409, "the workflow is disabled")
    try:
        payload = parse_json(body)
    except IntakeError as exc:
        return _refuse_input(delivery, exc)
    try:
        received = webhook.receive(config, payload)
    except ExpressionError as exc:
        return _refuse(delivery, 400, f"the payload does not fit this trigger: {exc}")
    delivery.event_key = received.key or message_id
    if received.event is None:
        delivery.row(DeliveryOutcome.IGNORED, 202, payload=payload, reason="filtered out").save()
        return Answer(202, {"status": "ignored", "reason": "the trigger's filter turned it away"})
    return _accept(delivery, version, received.event, payload)


@dataclass(frozen=True)
class _Found:
    """What the endpoint's lookup returned."""

    endpoint: WebhookEndpoint | None  # None: no active endpoint has this address
    version: WorkflowVersion | None  # its workflow's latest published version
    ids: tuple[int, int] | None = None  # the run's and execution's, drawn for `intake_sql`
    hits: int | None = None  # this minute's deliveries, when the lookup counted this one


def _published_version(token: str, now: float) -> _Found:
    """The active endpoint with this token, its workflow and its latest published version (None
    when nothing is published), in one query whatever the outcome. Written out in SQL built once
    per process and prepared once per connection: the ORM compiling this three-table
    select_related on every delivery cost about a quarter of an accepted delivery's CPU time
    (BENCHMARKS.md goal 2). The same statement, where it can, counts the delivery against the
    endpoint's per-minute limit and draws the run's and execution's ids for the one-statement
    store (`intake_sql`): two round trips fewer. A refused delivery leaves a gap in the
    sequences, as a rolled-back insert does."""
    draw, count = intake_sql.available(), counted_by_lookup()
    sql, models = _lookup(draw, count)
    params: list[Any] = [VersionState.PUBLISHED.value, token, True]
    if count:
        params.append(minute_of(now))
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return _Found(None, None)
    found: list[Any] = []
    values = iter(row)
    for model, names, converters in models:
        data = [_converted(next(values), column) for column in converters]
        found.append(None if data[0] is None else model.from_db(connection.alias, names, data))
    endpoint, workflow, version = found
    endpoint.workflow = workflow  # also caches workflow.webhook_endpoint
    if version is not None:
        version.workflow = workflow
    hits = int(next(values)) if count else None  # then the ids, as `_lookup` asks for them
    ids = (int(next(values)), int(next(values))) if draw else None
    return _Found(endpoint, version, ids, hits)


Columns = list[tuple[Col, list[Any]]]  # each with its converters
Models = list[tuple[type[Model], list[str], Columns]]


@functools.cache
def _lookup(draw_ids: bool, count: bool) -> tuple[str, Models]:
    """The lookup's SQL and, per model (endpoint, workflow, version), its fields' names and
    columns with their converters; then, with `count`, this minute's deliveries to the endpoint
    after counting this one, and with `draw_ids`, the next run and execution ids."""
    quote = connection.ops.quote_name
    models: Models = []
    select: list[str] = []
    for alias, model in zip("ewv", (WebhookEndpoint, Workflow, WorkflowVersion), strict=True):
        fields = model._meta.concrete_fields
        select += [f"{alias}.{quote(field.column)}" for field in fields]
        columns = [(f.cached_col, _converters(f.cached_col)) for f in fields]
        models.append((model, [field.attname for field in fields], columns))
    endpoint, workflow, version = (quote(model._meta.db_table) for model, _, _ in models)
    named = [f"{column} AS c{i}" for i, column in enumerate(select)]  # c0: the endpoint's id
    ctes = [
        f"found AS (SELECT {', '.join(named)} FROM {endpoint} e "  # noqa: S608 - names from the models
        f"JOIN {workflow} w ON w.id = e.workflow_id "
        f"LEFT JOIN {version} v ON v.workflow_id = w.id AND v.state = %s "
        # A workflow in the recycle bin has no address: its deliveries answer as unknown.
        "WHERE e.token = %s AND e.active = %s AND w.deleted_at IS NULL "
        "ORDER BY v.number DESC NULLS LAST LIMIT 1)"
    ]
    extra = []
    if count:
        ctes.append(f"counted AS ({lookup_count_sql('found', 'c0')})")
        extra.append("(SELECT hits FROM counted)")
    if draw_ids:
        extra += intake_sql.id_draws()
    sql = f"WITH {', '.join(ctes)} SELECT {', '.join(['found.*', *extra])} FROM found"  # noqa: S608
    return sql, models


def _converters(col: Col) -> list[Any]:
    return connection.ops.get_db_converters(col) + col.get_db_converters(connection)


def _converted(value: Any, column: tuple[Col, list[Any]]) -> Any:
    """The value as the ORM gives it (on SQLite, booleans and datetimes need converting)."""
    if value is None:
        return None
    col, converters = column
    for convert in converters:
        value = convert(value, col, connection)
    return value


def _accept(
    delivery: _Delivery, version: WorkflowVersion, event: dict[str, Any], payload: Any
) -> Answer:
    endpoint = delivery.endpoint
    assert endpoint is not None  # noqa: S101 - only known endpoints get this far
    trigger_ref = f"webhook:{delivery.event_key}"[:255]
    accepted = delivery.row(DeliveryOutcome.ACCEPTED, 202, payload=payload)
    try:
        if delivery.ids is not None:  # drawn by the lookup (intake_sql): one statement, one commit
            run = intake_sql.store_accepted(
                version=version,
                event=event,
                trigger_ref=trigger_ref,
                delivery=accepted,
                ids=delivery.ids,
            )
        else:
            with transaction.atomic(), audit_batch():
                run = run_start(
                    workflow=endpoint.workflow,
                    trigger_kind=TriggerKind.WEBHOOK,
                    input=event,
                    trigger_ref=trigger_ref,
                    version=version,
                )
                accepted.run = run
                accepted.save()
    except NotRunnable as exc:
        return _refuse(delivery, 409, str(exc))
    except IntegrityError:
        first = (
            WebhookDelivery.objects.filter(
                endpoint=endpoint, event_key=delivery.event_key, outcome=DeliveryOutcome.ACCEPTED
            )
            .values_list("run_id", flat=True)
            .first()
        )
        reason = f"event {delivery.event_key!r} was already accepted"
        delivery.row(DeliveryOutcome.DUPLICATE, 200, run_id=first, reason=reason).save()
        return Answer(200, {"status": "duplicate", "run": first, "message": reason})
    return Answer(202, {"status": "accepted", "run": run.pk})


def _refuse(
    delivery: _Delivery,
    status: int,
    message: str,
    *,
    reason: str | None = None,
    answer: Mapping[str, Any] | None = None,
) -> Answer:
    """Record the refusal (`reason`, when given, is what the record keeps instead of
    `message`) and answer `message`, with `answer`'s fields added."""
    endpoint = delivery.endpoint
    reason = message if reason is None else reason
    with transaction.atomic():
        row = delivery.row(DeliveryOutcome.REFUSED, status, reason=reason[:500])
        row.save()
        record(
            action="webhook.refused",
            actor_label="webhook sender",
            target=endpoint,
            workflow_id=endpoint.workflow_id if endpoint else None,
            details={"status": status, "reason": reason, "delivery": row.pk},
        )
    return Answer(status, {"status": "refused", "error": message, **(answer or {})})


def _unknown_address(remote_addr: str | None, received_at: datetime) -> Answer:
    """404, counted against the source: no delivery row, no audit event."""
    count_unknown(remote_addr, received_at)
    return Answer(404, {"status": "refused", "error": "no webhook endpoint has this address"})


def _too_many(endpoint: WebhookEndpoint, over: OverLimit) -> Answer:
    """429 with Retry-After; only the minute's first excess delivery is recorded (in the audit
    log), the others are counted."""
    limit = rate_limit()
    if over.first:
        record(
            action="webhook.rate_limited",
            actor_label="webhook sender",
            target=endpoint,
            workflow_id=endpoint.workflow_id,
            details={"limit_per_minute": limit, "retry_after": over.retry_after},
        )
    message = f"over {limit} deliveries a minute to this address; retry in {over.retry_after} s"
    return Answer(
        429,
        {"status": "refused", "error": message, "retry_after": over.retry_after},
        headers={"Retry-After": str(over.retry_after)},
    )


def _refuse_input(delivery: _Delivery, exc: IntakeError) -> Answer:
    """A body the intake rule refuses: 400 naming the path and the limit; the record keeps the
    same and an escaped, redacted excerpt (never the body, never a NUL or a lone surrogate)."""
    answer = exc.as_dict()
    reason = f"{answer['error']} ({exc.limit})"
    if exc.excerpt:
        reason += f"; near: {redact(exc.excerpt, MASK)}"
    return _refuse(delivery, 400, answer["error"], reason=reason, answer=answer)


def _plausible_token(token: str) -> bool:
    return 0 < len(token) <= 64 and token.isascii() and token.isprintable()


def _safe_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as the delivery log can store them: NUL and lone surrogates escaped."""
    return {
        safe_excerpt(name, 200): safe_excerpt(value, 2000)
        if not (value.isascii() and value.isprintable())
        else value
        for name, value in headers.items()
    }
