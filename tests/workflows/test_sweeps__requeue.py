"""Re-enqueueing lost messages counts only what was sent; the on-commit enqueue never raises; the
watchdog loop outlives failing rounds."""

from __future__ import annotations

import itertools
import logging
import os
import signal
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf

from idconfluence.conf import idc_settings
from tests.support.cluster import RedisServer, wait_until
from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from workflows import queue
from workflows.management.commands import watchdog
from workflows.models import Execution
from workflows.services.runs import run_start
from workflows.services.sweeps import sweep_unclaimed

LATER = timedelta(seconds=idc_settings.REQUEUE_AFTER_SECONDS + 1)


class FlakyBroker:
    """Accepts `sends` messages, then raises like a Redis that went away."""

    list_key = "flaky"

    def __init__(self, sends: int = 0) -> None:
        self.sends = sends
        self.sent: list[str] = []

    def enqueue(self, task: str) -> str:
        if len(self.sent) >= self.sends:
            raise redis.ConnectionError(
                "Error 111 connecting to 127.0.0.1:6379. Connection refused."
            )
        self.sent.append(task)
        return str(len(self.sent))


def stale_executions(tmp_path: Path, count: int) -> list[Execution]:
    journal_connector(tmp_path)
    version = published(four_step())
    for n in range(count):
        run_start(workflow=version.workflow, input={"type": "HIRE", "user": f"u{n}"})
    old = timezone.now() - LATER - timedelta(seconds=10)
    executions = list(Execution.objects.order_by("pk"))
    for n, execution in enumerate(executions):  # distinct ages: the oldest is sent first
        Execution.objects.filter(pk=execution.pk).update(enqueued_at=old + timedelta(seconds=n))
    return list(Execution.objects.order_by("pk"))


def as_sent(executions: list[Execution]) -> list[tuple[Any, int]]:
    return [(e.enqueued_at, e.enqueue_count) for e in executions]


@pytest.mark.django_db
def test_a_broker_that_raises_leaves_every_execution_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stale_executions(tmp_path, 3)
    monkeypatch.setattr(queue, "_broker", FlakyBroker(sends=0))
    with pytest.raises(redis.ConnectionError):
        sweep_unclaimed()
    after = list(Execution.objects.order_by("pk"))
    assert as_sent(after) == as_sent(before)
    assert queue._broker is None  # dropped: the next call connects afresh


@pytest.mark.django_db
def test_a_broker_that_fails_midway_counts_only_what_it_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = stale_executions(tmp_path, 3)
    monkeypatch.setattr(queue, "_broker", FlakyBroker(sends=1))
    with pytest.raises(redis.ConnectionError):
        sweep_unclaimed()
    first, *rest = Execution.objects.order_by("pk")
    assert first.enqueue_count == before[0].enqueue_count + 1
    assert first.enqueued_at > before[0].enqueued_at
    assert as_sent(rest) == as_sent(before[1:])
    # the broker is back: the next round sends the two that were left, not the first again
    monkeypatch.setattr(queue, "_broker", broker := FlakyBroker(sends=10))
    assert sweep_unclaimed() == 2
    assert len(broker.sent) == 2
    assert [e.enqueue_count for e in Execution.objects.order_by("pk")] == [2, 2, 2]


@pytest.mark.django_db
def test_a_message_for_an_execution_claimed_meanwhile_is_not_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (execution,) = stale_executions(tmp_path, 1)

    class ClaimedWhileSending(FlakyBroker):
        def enqueue(self, task: str) -> str:
            Execution.objects.filter(pk=execution.pk).update(state="running")
            return super().enqueue(task)

    monkeypatch.setattr(queue, "_broker", ClaimedWhileSending(sends=1))
    assert sweep_unclaimed() == 0
    execution.refresh_from_db()
    assert execution.enqueue_count == 1


@pytest.mark.django_db
def test_the_on_commit_enqueue_logs_and_swallows_a_broker_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(queue, "_broker", FlakyBroker(sends=0))
    with caplog.at_level(logging.WARNING, logger="workflows.queue"):
        queue.enqueue_or_leave_to_watchdog(42)  # joins the next message, sent by a thread
        wait_until(lambda: caplog.messages, 5, "the coalescing thread's attempt")
    assert caplog.messages == [
        "could not enqueue 1 execution(s) from 42 (ConnectionError: Error 111 connecting to "
        "127.0.0.1:6379. Connection refused.); the watchdog will re-enqueue"
    ]
    assert queue._broker is None


# -- the watchdog loop, in process: sweeps that fail, then succeed -------------------------------


class NoConnections:
    def all(self, initialized_only: bool = False) -> list[Any]:
        return []


@pytest.fixture(autouse=False)
def no_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop's connection handling without touching the test session's connection."""
    monkeypatch.setattr(watchdog, "close_old_connections", lambda: None)
    monkeypatch.setattr(watchdog, "connections", NoConnections())
    monkeypatch.setattr(watchdog, "heartbeat_beat", lambda **_: True)


@pytest.mark.usefixtures("no_database")
def test_the_watchdog_backs_off_on_errors_and_logs_its_recovery(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    rounds: list[float] = []
    outcomes: list[Exception | None] = [
        OperationalError("server closed the connection unexpectedly\n\tThis probably means..."),
        redis.ConnectionError("Connection refused."),
        RuntimeError("anything else"),
        None,
        OperationalError("again"),
        None,
    ]

    def sweep(**_: Any) -> int:
        rounds.append(time.monotonic())
        outcome = outcomes.pop(0)
        if not outcomes:
            os.kill(os.getpid(), signal.SIGTERM)  # handled by the command: it stops
        if outcome is not None:
            raise outcome
        return 0

    monkeypatch.setattr(watchdog, "sweep_overdue", sweep)
    monkeypatch.setattr(watchdog, "sweep_unclaimed", lambda **_: 0)
    monkeypatch.setattr(watchdog, "sweep_stalled_items", lambda **_: 0)
    monkeypatch.setattr(watchdog, "BACKOFF_FIRST_SECONDS", 0.1)
    monkeypatch.setattr(queue, "_broker", object())
    before = signal.getsignal(signal.SIGTERM)
    command = watchdog.Command()
    with caplog.at_level(logging.INFO, logger="workflows.watchdog"):
        call_command(command, interval=0.05)
    assert signal.getsignal(signal.SIGTERM) is before  # restored
    assert len(rounds) == 6
    pauses = [round(b - a, 1) for a, b in itertools.pairwise(rounds)]
    assert pauses[:3] == [0.1, 0.2, 0.4]  # doubling
    assert pauses[4] == 0.1  # reset after a good round
    assert command.last_good_sweep is not None
    assert queue._broker is None  # dropped after a failed round
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [bool(r.exc_info) for r in errors] == [True, False, False, True]
    assert (
        errors[0]
        .getMessage()
        .startswith(
            "watchdog: sweep failed (OperationalError: server closed the connection unexpectedly); "
            "retry 1 in 0.1 s; last good sweep never"
        )
    )
    assert "\n" not in errors[1].getMessage()
    recovered = [r.getMessage() for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 2
    assert recovered[0].startswith("watchdog: recovered after 3 failed rounds")


@pytest.mark.usefixtures("no_database")
def test_watchdog_once_still_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**_: Any) -> int:
        raise OperationalError("down")

    monkeypatch.setattr(watchdog, "sweep_overdue", fail)
    with pytest.raises(OperationalError):
        call_command("watchdog", once=True)


# -- a real Redis that restarts under a cached broker ---------------------------------------------


@pytest.mark.servers
def test_the_cached_redis_broker_reconnects_after_redis_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = RedisServer(tmp_path)
    try:
        url = server.url()
        monkeypatch.setattr(Conf, "REDIS", url)
        monkeypatch.setattr(Conf, "ORM", None)
        monkeypatch.setattr(Conf, "BROKER_CLASS", None)
        monkeypatch.setattr(queue, "_broker", None)
        queue.enqueue(1)
        cached = queue.broker()
        assert isinstance(cached, Redis)
        assert cached.connection.connection_pool.connection_kwargs["socket_timeout"] == 5.0
        server.stop()
        with pytest.raises(redis.ConnectionError):
            queue.enqueue(2)
        assert queue._broker is None
        queue.enqueue_or_leave_to_watchdog(3)  # logs, does not raise
        server.start()
        queue.enqueue(4)
        again = queue.broker()
        server.stop()
        server.start()  # a restart between two sends, unseen: redis-py reconnects by itself
        queue.enqueue(5)
        assert queue.broker() is again
        assert redis.from_url(url).llen(again.list_key) == 1  # the restart lost message 4
    finally:
        server.stop()
