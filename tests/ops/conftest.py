"""A scraper's client (the bearer token set for the test) and the heartbeats of a healthy site."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from idconfluence.ops.heartbeats import CLUSTER, WATCHDOG, heartbeat_beat

TOKEN = "scrape-token-for-tests-only"


def ops_settings(**values: Any) -> override_settings:
    return override_settings(IDCONFLUENCE={**settings.IDCONFLUENCE, **values})


@pytest.fixture
def scraper() -> Iterator[Client]:
    with ops_settings(METRICS_TOKEN=TOKEN):
        yield Client(headers={"Authorization": f"Bearer {TOKEN}"})


@pytest.fixture
def alive(db: None) -> None:
    """The cluster and the watchdog have just beaten."""
    heartbeat_beat(name=CLUSTER)
    heartbeat_beat(name=WATCHDOG)


def readyz(client: Client, query: str = "") -> tuple[int, dict[str, Any]]:
    response = client.get(f"/readyz{query}")
    return response.status_code, response.json()
