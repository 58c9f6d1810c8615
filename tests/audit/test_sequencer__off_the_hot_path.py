"""The audit sequencer, attacked: writers never wait on each other's audit writes, every event is
sealed within the merge delay in a chain that verifies, two sequencers never fork it, a killed
one loses nothing, nobody else can remove a pending event, and a stalled one raises the alarm."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.chain import verify_chain
from audit.models import AuditEvent, PendingAuditEvent
from audit.sealer import Sealer
from audit.sequencer import LOCK_KEY, audit_backlog, audit_seal_all, audit_seal_pending
from audit.services import record
from tests.support.cluster import ROOT, child_env

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS = 8
HOLD_SECONDS = 3.0


@pytest.fixture
def sequenced(settings: Any) -> Iterator[None]:
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "AUDIT_SEQUENCER": True}
    yield


def _writers_while_one_holds_its_transaction() -> tuple[list[float], list[BaseException]]:
    """One writer records and keeps its transaction open; the other seven record and commit.
    Returns how long each of the seven took."""
    recorded, release = threading.Event(), threading.Event()
    durations: list[float] = []
    errors: list[BaseException] = []

    def holder() -> None:
        try:
            with transaction.atomic():
                record(action="holder.recorded")
                recorded.set()
                release.wait(HOLD_SECONDS)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def writer(n: int) -> None:
        try:
            started = time.monotonic()
            with transaction.atomic():
                record(action="writer.recorded", details={"n": n})
            durations.append(time.monotonic() - started)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    hold = threading.Thread(target=holder)
    hold.start()
    assert recorded.wait(10)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS - 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HOLD_SECONDS + 10)
    release.set()
    hold.join(10)
    return durations, errors


def test_no_writer_waits_on_another_writers_audit_event(sequenced: None) -> None:
    durations, errors = _writers_while_one_holds_its_transaction()
    assert not errors
    assert len(durations) == WRITERS - 1
    # Each committed while the holder's transaction (with its audit event) was still open.
    assert max(durations) < HOLD_SECONDS / 3, durations


def test_without_the_sequencer_the_same_writers_wait(settings: Any) -> None:
    """The control: the test above would catch a shared lock (the chained-inline mode has one)."""
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "AUDIT_SEQUENCER": False}
    durations, errors = _writers_while_one_holds_its_transaction()
    assert not errors
    assert min(durations) > HOLD_SECONDS * 0.8, durations


def test_a_late_committer_is_sealed_after_the_events_committed_before_it(sequenced: None) -> None:
    """The order rule: the chain is in the order events became visible; none is skipped."""
    recorded, release, done = threading.Event(), threading.Event(), threading.Event()

    def holder() -> None:
        with transaction.atomic():
            record(action="late.committer")  # takes the lowest id of all
            recorded.set()
            release.wait(10)
        done.set()
        connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    assert recorded.wait(10)
    for n in range(5):
        record(action="early.committer", details={"n": n})
    assert audit_seal_all() == 5  # the open transaction's event is not visible: not sealed
    release.set()
    assert done.wait(10)
    thread.join()
    assert audit_seal_all() == 1
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["early.committer"] * 5 + ["late.committer"]
    times = list(AuditEvent.objects.order_by("seq").values_list("occurred_at", flat=True))
    assert times == sorted(times)  # the late one took the newest time: never back in time
    assert verify_chain().ok
    assert not PendingAuditEvent.objects.exists()


def test_eight_writers_are_sealed_within_the_merge_delay(sequenced: None) -> None:
    per_writer, worst_age = 40, 0.0
    sealer = Sealer(interval=0.25)
    sealer.start()
    stop_sampling = threading.Event()

    def writer(n: int) -> None:
        for i in range(per_writer):
            with transaction.atomic():
                record(action="load.write", details={"n": n, "i": i})
        connection.close()

    def sampler() -> None:
        nonlocal worst_age
        while not stop_sampling.is_set():
            worst_age = max(worst_age, audit_backlog().age_seconds())
            time.sleep(0.05)
        connection.close()

    watch = threading.Thread(target=sampler)
    watch.start()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        finished = time.monotonic()
        while PendingAuditEvent.objects.exists() and time.monotonic() - finished < 10:
            time.sleep(0.02)
        drained_after = time.monotonic() - finished
    finally:
        stop_sampling.set()
        watch.join(5)
        sealer.stop()
    assert not PendingAuditEvent.objects.exists()
    assert drained_after < 1.0, drained_after
    assert worst_age < 2.0, worst_age  # never an event older than a few sealing rounds
    assert AuditEvent.objects.filter(action="load.write").count() == WRITERS * per_writer
    result = verify_chain()
    assert result.ok, result.problem
    assert result.checked == AuditEvent.objects.count() == result.last_seq


def test_two_sequencers_racing_never_fork_or_repeat_the_chain(sequenced: None) -> None:
    for n in range(600):
        record(action="race.write", details={"n": n})
    sealed: list[int] = []

    def sequencer() -> None:
        total = 0
        for _ in range(200):
            total += audit_seal_pending(limit=7)
        sealed.append(total)
        connection.close()

    threads = [threading.Thread(target=sequencer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    audit_seal_all()
    assert sum(sealed) <= 600
    assert AuditEvent.objects.count() == 600
    details = sorted(AuditEvent.objects.values_list("details__n", flat=True))
    assert details == list(range(600))
    assert verify_chain().ok


KILLED_SEQUENCER = """
import django, os, sys, time
django.setup()
from audit import sequencer
def stalled(events, head):
    print("holding", flush=True)
    time.sleep(60)
sequencer.store_chained = stalled
from django.conf import settings
settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "AUDIT_SEQUENCER": True}
sequencer.audit_seal_pending()
"""


def test_a_sequencer_killed_mid_batch_loses_nothing(sequenced: None) -> None:
    for n in range(50):
        record(action="kill.write", details={"n": n})
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_SEQUENCER],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "holding"  # it deleted the batch, uncommitted
        assert audit_seal_pending() == 0  # it holds the lock: one sequencer at a time
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    deadline = time.monotonic() + 10
    while not (sealed := audit_seal_all()) and time.monotonic() < deadline:
        time.sleep(0.1)  # until PostgreSQL has ended the killed backend and released its lock
    assert sealed == 50
    assert AuditEvent.objects.count() == 50
    assert verify_chain().ok


REFUSED = "only sealed by the sequencer"


def test_only_the_sequencer_removes_or_changes_a_pending_event(sequenced: None) -> None:
    record(action="guarded.write")
    table = PendingAuditEvent._meta.db_table
    for sql in (f"DELETE FROM {table}", f"UPDATE {table} SET action = 'forged'"):  # noqa: S608
        with (
            pytest.raises(DatabaseError, match=REFUSED),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with (  # holding the sequencer's lock is not enough: only its own flag lets it delete
        pytest.raises(DatabaseError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert audit_seal_all() == 1
    assert AuditEvent.objects.get().action == "guarded.write"


def test_a_stalled_sequencer_raises_the_alarm(sequenced: None, settings: Any) -> None:
    with time_machine.travel(timezone.now() - timedelta(seconds=120), tick=False):
        record(action="stale.write")
    record(action="fresh.write")
    out = io.StringIO()
    with pytest.raises(
        CommandError, match=r"2 not sealed yet, the oldest 1[0-9]{2}\.\d s old"
    ) as e:
        call_command("audit_verify", stdout=out)
    assert e.value.returncode == 3

    from idconfluence.ops.health import run_checks
    from idconfluence.ops.metrics import exposition

    check = run_checks(["audit"])["audit"]
    assert check.status == "degraded"
    assert "2 unsealed audit events" in check.message
    body = exposition()[0].decode()
    assert "idc_audit_unsealed_events 2.0" in body

    assert audit_seal_all() == 2
    call_command("audit_verify", stdout=out)
    assert out.getvalue().rstrip().endswith("2 events verified (#1..#2); 0 not sealed yet")
    assert run_checks(["audit"])["audit"].status == "ok"
