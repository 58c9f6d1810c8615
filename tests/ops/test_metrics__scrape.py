"""`/metrics`, scraped with the token and parsed like Prometheus does: the product's figures agree
with the database (executions by state, queue age, parked, window overruns, step and connector
durations, webhook deliveries by outcome); django-prometheus's own are there too."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import OperationalError
from django.db.models import Sum
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.support.documents import four_step
from tests.support.factories import journal_connector, perform, published
from tests.triggers.conftest import webhook_sender
from workflows.models import Execution, Step
from workflows.services.runs import run_start

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def scrape(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_the_figures_agree_with_the_database(scraper: Client, tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    for user in ("ann", "bob"):
        perform(run_start(workflow=version.workflow, input={"type": "HIRE", "user": user}))
    with time_machine.travel(timezone.now() - timedelta(seconds=90)):
        run_start(workflow=version.workflow, input={"type": "HIRE", "user": "cy"})  # waits
    overrun = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "dee"})
    overrun.executions.update(
        state="parked", failure_reason="execution window exceeded at step add_staff (killed)"
    )
    sender = webhook_sender(Client(), slug="hires")
    assert sender.post({"n": 1}, msg_id="m1").status_code == 202
    assert sender.post({"n": 1}, msg_id="m1").status_code == 200  # a duplicate
    assert (
        sender.post({"n": 2}, msg_id="m2", headers={"webhook-signature": "v1,bad"}).status_code
        == 401
    )

    metrics = scrape(scraper)

    def value(name: str, **labels: str) -> float:
        return metrics[(name, tuple(sorted(labels.items())))]

    assert value("idc_metrics_database_up") == 1
    for state in ("queued", "running", "succeeded", "parked", "waiting"):
        assert value("idc_executions", state=state) == Execution.objects.filter(state=state).count()
    assert value("idc_executions", state="succeeded") == 2
    assert value("idc_parked_executions") == 1
    assert value("idc_window_overruns_total") == 1
    assert 89 <= value("idc_queue_oldest_age_seconds") < 120
    assert value("idc_queue_over_limit") == 1  # 90 s > the 60 s limit

    assert value("idc_webhook_deliveries_total", outcome="accepted") == 1
    assert value("idc_webhook_deliveries_total", outcome="duplicate") == 1
    assert value("idc_webhook_deliveries_total", outcome="refused") == 1

    actions = Step.objects.filter(block_type="add_group_member", duration_ms__isnull=False)
    assert (
        value("idc_step_duration_seconds_gcount", block_type="add_group_member")
        == actions.count()
        == 2
    )
    assert value("idc_step_duration_seconds_gsum", block_type="add_group_member") == pytest.approx(
        actions.aggregate(s=Sum("duration_ms"))["s"] / 1000
    )
    calls = Step.objects.filter(input__connector="journal", duration_ms__isnull=False)
    assert (
        value("idc_connector_call_duration_seconds_gcount", connector="journal")
        == calls.count()
        == 4
    )
    assert value("idc_connector_calls", connector="journal", state="succeeded") == 4
    assert value("idc_connector_call_duration_seconds_bucket", connector="journal", le="+Inf") == 4
    assert value("idc_approvals_overdue") == 0
    assert any(name.startswith("django_http_requests") for name, _ in metrics)


def test_durations_older_than_the_window_drop_out(scraper: Client, tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    perform(run_start(workflow=version.workflow, input={"type": "HIRE", "user": "ann"}))
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        metrics = scrape(scraper)
    assert not [name for name, _ in metrics if name.startswith("idc_step_duration_seconds")]
    assert metrics[("idc_executions", (("state", "succeeded"),))] == 1


def test_every_series_the_grafana_dashboard_draws_is_exported(
    scraper: Client, tmp_path: Path, alive: None
) -> None:
    journal_connector(tmp_path)
    perform(
        run_start(workflow=published(four_step()).workflow, input={"type": "HIRE", "user": "a"})
    )
    scraper.get("/healthz")
    exported = {name for name, _ in scrape(scraper)}
    dashboard = json.loads((ROOT / "deploy" / "grafana-dashboard.json").read_text())
    drawn = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\b((?:idc|django)_[a-z_]+)", target["expr"])
    }
    assert drawn and drawn <= exported, drawn - exported


def test_a_scrape_while_the_database_is_down_still_answers(
    scraper: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from idconfluence.ops import metrics as ops_metrics

    def down(self: object) -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(ops_metrics.ProductCollector, "_product", down)
    assert scrape(scraper)[("idc_metrics_database_up", ())] == 0
