"""Issue 9: *Test connection* on 10 unreachable connectors answers at once with a progress page,
which reaches "10 failed" with each connector's reason, run by a real qcluster. Seven point at a
listener that takes connections and never answers (each test waits its whole timeout), three at
ports where nothing listens."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from connectors.models import Connector, HealthStatus
from idconfluence.conf import idc_settings
from idconfluence.jobs.models import AdminJob
from idconfluence.jobs.services import job_progress
from tests.support.cluster import Process, start_cluster, wait_until
from tests.support.factories import admin_user

pytestmark = [pytest.mark.postgres, pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
SILENT, CLOSED = 7, 3


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts connections (the kernel completes the handshake) and never reads or answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield listener.getsockname()[1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # released on close: nothing listens there


def rest(name: str, port: int) -> Connector:
    row = Connector(
        name=name,
        type="rest",
        config={"base_url": f"http://127.0.0.1:{port}/{name}", "auth": "none", "operations": {}},
    )
    row.set_secrets({})
    row.save()
    return row


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Process]:
    process = start_cluster(tmp_path, IDC_Q_WORKERS="5")
    yield process
    process.stop()


def test_ten_unreachable_connectors_answer_at_once_and_end_as_ten_failed(
    silent_port: int, cluster: Process
) -> None:
    connectors = [rest(f"silent-{i}", silent_port) for i in range(SILENT)]
    connectors += [rest(f"closed-{i}", closed_port()) for i in range(CLOSED)]
    client = Client()
    client.force_login(admin_user())

    started = time.monotonic()
    response = client.post(
        "/admin/connectors/connector/",
        {"action": "test_connection", "_selected_action": [c.pk for c in connectors]},
    )
    answered_in = time.monotonic() - started

    job = AdminJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/jobs/adminjob/{job.pk}/change/"
    window = float(idc_settings.EXECUTION_WINDOW_SECONDS)
    assert answered_in < window, "the request waited on a connector"
    assert job_progress(job).remaining >= SILENT  # a silent one cannot have finished yet

    first = client.get(response["Location"]).content.decode()
    assert "remaining" in first and 'http-equiv="refresh"' in first

    wait_until(lambda: job_progress(job).remaining == 0, 60, "every test to end")
    page = client.get(response["Location"]).content.decode()
    assert "0 done, 10 failed, 0 remaining" in page
    assert 'http-equiv="refresh"' not in page
    reasons = dict(job.items.values_list("label", "message"))
    assert len(reasons) == 10
    for name, reason in reasons.items():
        assert reason, f"{name}: no reason given"
        assert reason in page
        port = silent_port if name[0] == "s" else None
        if port:
            assert reason.startswith(f"no answer before the time limit to 127.0.0.1:{port}"), reason
        else:
            assert reason.startswith("could not connect to 127.0.0.1:"), reason
            assert "Connection refused" in reason, reason
    assert set(Connector.objects.values_list("health_status", flat=True)) == {HealthStatus.FAILING}
    assert "Traceback" not in cluster.output()
