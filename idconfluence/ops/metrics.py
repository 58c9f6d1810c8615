"""`/metrics`: django-prometheus's request metrics of this process plus the product's own, read
from the database at scrape time so every web process on every host reports the same figures.

Gauges (executions by state, the queue's oldest age, parked, heartbeat ages) are counts of rows
now. Counters (window overruns, webhook deliveries by outcome) are counts of rows ever stored:
they only fall when rows are deleted, which Prometheus reads as a reset. Step and connector call
durations are gauge histograms over the trailing `METRICS_WINDOW_SECONDS` (histogram_quantile
works on them directly, without rate()), built by one aggregate query each, not per-process
instrumentation: a worker killed mid-scrape loses nothing. With PROMETHEUS_MULTIPROC_DIR set
(gunicorn with several workers), django-prometheus's own metrics are merged across workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db.models import Count, Min, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from audit.sequencer import audit_backlog
from idconfluence.conf import idc_settings
from idconfluence.ops.models import Heartbeat
from workflows.models import Execution, Step
from workflows.models_triggers import DeliveryOutcome, WebhookDelivery
from workflows.status import ExecutionState

BUCKETS_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WINDOW_OVERRUN = "execution window exceeded"


def _histogram(name: str, documentation: str, rows: Any, label: str) -> Metric:
    """A gauge histogram of `rows`' durations by `label`, from one grouped aggregate."""
    family = GaugeHistogramMetricFamily(name, documentation, labels=[label])
    buckets = {
        f"le{i}": Count("pk", filter=Q(duration_ms__lte=b * 1000))
        for i, b in enumerate(BUCKETS_SECONDS)
    }
    grouped = rows.values(label).annotate(count=Count("pk"), total=Sum("duration_ms"), **buckets)
    for row in grouped.order_by(label):
        pairs = [(str(b), float(row[f"le{i}"])) for i, b in enumerate(BUCKETS_SECONDS)]
        pairs.append(("+Inf", float(row["count"])))
        family.add_metric([str(row[label] or "")], pairs, (row["total"] or 0) / 1000)
    return family


def approvals_overdue() -> int:
    """Open approval tasks past their due time; 0 while the approvals app has no tasks model."""
    try:
        task = apps.get_model("approvals", "ApprovalTask")
    except LookupError:
        return 0
    return int(task.objects.filter(state="open", due_at__lt=timezone.now()).count())


class ProductCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("idc_metrics_database_up", "1 when the product's figures were read")
        try:
            metrics = list(self._product())
        except Exception:  # the database is down: say so, and still serve the process metrics
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from metrics

    def _product(self) -> Iterator[Metric]:
        now = timezone.now()
        by_state = dict(
            Execution.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
        )
        executions = GaugeMetricFamily("idc_executions", "Executions by state", labels=["state"])
        for state in ExecutionState.values:
            executions.add_metric([state], by_state.get(state, 0))
        yield executions
        yield GaugeMetricFamily(
            "idc_parked_executions",
            "Executions parked for review",
            value=by_state.get(ExecutionState.PARKED, 0),
        )

        oldest = Execution.objects.filter(state=ExecutionState.QUEUED).aggregate(
            t=Min("queued_at")
        )["t"]
        age = max(0.0, (now - oldest).total_seconds()) if oldest else 0.0
        yield GaugeMetricFamily(
            "idc_queue_oldest_age_seconds", "Age of the oldest queued execution", value=age
        )
        limit = idc_settings.QUEUE_AGE_LIMIT_SECONDS
        yield GaugeMetricFamily(
            "idc_queue_over_limit",
            "1 while the oldest queued execution is older than QUEUE_AGE_LIMIT_SECONDS "
            "(/readyz degraded; webhooks are still stored)",
            value=1 if age > limit else 0,
        )

        overruns = Execution.objects.filter(failure_reason__startswith=WINDOW_OVERRUN).count()
        yield CounterMetricFamily(
            "idc_window_overruns", "Executions parked for exceeding the window", value=overruns
        )

        deliveries = dict(
            WebhookDelivery.objects.values_list("outcome")
            .annotate(n=Count("pk"))
            .values_list("outcome", "n")
        )
        family = CounterMetricFamily(
            "idc_webhook_deliveries", "Webhook deliveries stored, by outcome", labels=["outcome"]
        )
        for outcome in DeliveryOutcome.values:
            family.add_metric([outcome], deliveries.get(outcome, 0))
        yield family

        window = idc_settings.METRICS_WINDOW_SECONDS
        recent = Step.objects.filter(
            finished_at__gte=now - timedelta(seconds=window), duration_ms__isnull=False
        )
        yield _histogram(
            "idc_step_duration_seconds",
            f"Durations of the steps finished in the last {window} s, by block type",
            recent,
            "block_type",
        )

        calls = recent.filter(input__has_key="connector").annotate(
            connector=KeyTextTransform("connector", "input")
        )
        yield _histogram(
            "idc_connector_call_duration_seconds",
            f"Durations of the connector calls finished in the last {window} s, by connector",
            calls,
            "connector",
        )
        outcomes = GaugeMetricFamily(
            "idc_connector_calls",
            f"Connector calls finished in the last {window} s, by connector and step state "
            "(failed and unknown are the errors)",
            labels=["connector", "state"],
        )
        for row in (
            calls.values("connector", "state")
            .annotate(n=Count("pk"))
            .order_by("connector", "state")
        ):
            outcomes.add_metric([row["connector"] or "", row["state"]], row["n"])
        yield outcomes

        beats = GaugeMetricFamily(
            "idc_heartbeat_age_seconds", "Seconds since the last heartbeat", labels=["name"]
        )
        for name, at in Heartbeat.objects.values_list("name", "beat_at"):
            beats.add_metric([name], max(0.0, (now - at).total_seconds()))
        yield beats
        yield GaugeMetricFamily(
            "idc_approvals_overdue", "Approval tasks past their due time", value=approvals_overdue()
        )
        backlog = audit_backlog()
        yield GaugeMetricFamily(
            "idc_audit_unsealed_events",
            "Audit events stored but not given their place in the chain yet",
            value=backlog.count,
        )
        yield GaugeMetricFamily(
            "idc_audit_unsealed_oldest_age_seconds",
            "Age of the oldest audit event not sealed yet (alert past AUDIT_SEAL_ALERT_SECONDS)",
            value=backlog.age_seconds(now),
        )


def exposition() -> tuple[bytes, str]:
    """The text every scrape gets: this process's (or all workers') metrics, then the product's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        process: CollectorRegistry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process)  # type: ignore[no-untyped-call]
    else:
        process = REGISTRY
    product = CollectorRegistry(auto_describe=False)
    product.register(ProductCollector())
    return generate_latest(process) + generate_latest(product), CONTENT_TYPE_LATEST
