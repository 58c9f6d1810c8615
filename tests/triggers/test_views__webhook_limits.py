"""Unauthenticated senders cannot grow the logs at will: addresses that name no endpoint are
counted per source (one row each, not one per request), and past an endpoint's per-minute limit
the answer is 429 with Retry-After, stores no run and no delivery, and resets the next minute."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import time_machine
from django.db import connection
from django.test import Client
from pytest_django.fixtures import SettingsWrapper

from audit.models import AuditEvent
from tests.support.cluster import RedisServer
from tests.triggers.conftest import WORKDAY_HIRES, Sender, concurrently, sample, webhook_sender
from workflows import queue
from workflows.models import Run
from workflows.models_triggers import UnknownHookSource, WebhookDelivery, WebhookRate
from workflows.services.webhook_limits import source_of

NOON = datetime(2025, 3, 4, 12, 0, 15, tzinfo=UTC)


def rows() -> int:
    return sum(
        model.objects.count()
        for model in (WebhookDelivery, UnknownHookSource, AuditEvent, WebhookRate, Run)
    )


@pytest.mark.django_db
def test_1000_random_unknown_tokens_from_one_ip_add_one_row() -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    before = rows()
    for _ in range(1000):
        token = secrets.token_urlsafe(24)
        response = client.post(f"/hooks/{token}/", data=b"{}", content_type="application/json")
        assert response.status_code == 404
    assert rows() - before == 1
    source = UnknownHookSource.objects.get()
    assert (source.source, source.refusals) == ("203.0.113.7", 1000)


def test_sources_are_addresses_and_ipv6_64s() -> None:
    assert source_of("2001:db8:1:2:aaaa::1") == source_of("2001:db8:1:2:bbbb::9")
    assert source_of("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert source_of("::ffff:198.51.100.4") == "198.51.100.4"
    assert source_of(None) == source_of("not an address") == "unknown"


@pytest.fixture
def limited(settings: SettingsWrapper) -> int:
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "WEBHOOK_RATE_PER_MINUTE": 3}
    return 3


def test_over_the_limit_is_429_with_retry_after_and_stores_no_run(
    sender: Sender, limited: int
) -> None:
    with time_machine.travel(NOON, tick=False):
        for n in range(limited):
            assert sender.post({**sample("workday-hire"), "eventId": f"e{n}"}).status_code == 202
        for n in range(3):
            response = sender.post({**sample("workday-hire"), "eventId": f"over{n}"})
            assert response.status_code == 429
            assert response["Retry-After"] == "45"
            assert response.json()["retry_after"] == 45
            assert "over 3 deliveries a minute" in response.json()["error"]
    assert Run.objects.count() == limited
    assert WebhookDelivery.objects.count() == limited  # the refused ones are only counted
    assert WebhookRate.objects.get().hits == limited + 3
    event = AuditEvent.objects.get(action="webhook.rate_limited")  # one per minute, not each
    assert event.details == {"limit_per_minute": 3, "retry_after": 45}


def test_the_limit_resets_in_the_next_minute(sender: Sender, limited: int) -> None:
    with time_machine.travel(NOON, tick=False):
        for n in range(limited + 1):
            sender.post({**sample("workday-hire"), "eventId": f"e{n}"})
        assert sender.post({**sample("workday-hire"), "eventId": "late"}).status_code == 429
    with time_machine.travel(NOON + timedelta(seconds=44), tick=False):
        response = sender.post({**sample("workday-hire"), "eventId": "late"})
        assert (response.status_code, response["Retry-After"]) == (429, "1")
    with time_machine.travel(NOON + timedelta(seconds=45), tick=False):
        assert sender.post({**sample("workday-hire"), "eventId": "late"}).status_code == 202
    assert Run.objects.count() == limited + 1
    assert WebhookRate.objects.get().hits == 1


def test_a_zero_limit_counts_nothing(sender: Sender, settings: SettingsWrapper) -> None:
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "WEBHOOK_RATE_PER_MINUTE": 0}
    assert sender.post(sample("workday-hire")).status_code == 202
    assert not WebhookRate.objects.exists()


class _RedisBroker:
    def __init__(self, url: str) -> None:
        self.connection = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


@pytest.mark.servers
def test_with_redis_the_minute_is_counted_there_and_the_database_takes_over_when_it_is_down(
    sender: Sender,
    limited: int,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server = RedisServer(tmp_path)
    try:
        settings.Q_CLUSTER = {**settings.Q_CLUSTER, "redis": server.url()}
        monkeypatch.setattr(queue, "_broker", _RedisBroker(server.url()))
        with time_machine.travel(NOON, tick=False):
            for n in range(limited):
                assert (
                    sender.post({**sample("workday-hire"), "eventId": f"e{n}"}).status_code == 202
                )
            assert sender.post({**sample("workday-hire"), "eventId": "over"}).status_code == 429
            assert not WebhookRate.objects.exists()  # no row, no commit, no shared lock
            server.stop()
            response = sender.post({**sample("workday-hire"), "eventId": "redis-down"})
        assert response.status_code == 202  # counted in the database meanwhile
        assert WebhookRate.objects.get().hits == 1
        assert queue._broker is None  # dropped: the next delivery connects afresh
    finally:
        server.stop()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_senders_racing_past_the_limit_get_exactly_the_limit_through(
    settings: SettingsWrapper,
) -> None:
    """The count is part of the endpoint's lookup (one upsert in the same statement): twelve
    deliveries released at once against a limit of five let five through, whatever their order,
    and the minute's first excess one alone leaves an audit event."""
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "WEBHOOK_RATE_PER_MINUTE": 5}
    sender = webhook_sender(Client(), **WORKDAY_HIRES)
    numbers = iter(range(12))

    def deliver() -> int:
        n = next(numbers)
        payload = {**sample("workday-hire"), "eventId": f"race{n}"}
        return int(
            Sender(Client(), sender.endpoint, sender.secret)
            .post(payload, msg_id=f"m{n}")
            .status_code
        )

    with time_machine.travel(datetime.now(UTC).replace(second=10), tick=False):  # one minute
        statuses = sorted(concurrently(deliver, 12))
    assert statuses == [202] * 5 + [429] * 7
    assert Run.objects.count() == WebhookDelivery.objects.count() == 5
    assert WebhookRate.objects.get().hits == 12
    assert AuditEvent.objects.filter(action="webhook.rate_limited").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_on_postgresql_the_counter_skips_the_write_ahead_log(sender: Sender) -> None:
    """Every delivery's count commits; an unlogged table's commit waits for no disk flush, and a
    crash only restarts the counts (workflows/migrations/0013)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s", [WebhookRate._meta.db_table]
        )
        assert cursor.fetchone() == ("u",)
    assert sender.post(sample("workday-hire")).status_code == 202
    assert WebhookRate.objects.get().hits == 1
