"""The acknowledgement path's costs: a 10 MiB body is refused without being read whole into memory
(declared or streamed); an accepted delivery is stored with one commit and a handful of queries
(BENCHMARKS.md goal 2); the same event raced by concurrent senders starts one run."""

from __future__ import annotations

import io
import re
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent, PendingAuditEvent
from tests.triggers.conftest import Sender, concurrently, webhook_sender
from workflows import views_hooks
from workflows.models import Execution, Run
from workflows.models_triggers import WebhookDelivery
from workflows.services.triggers import endpoint_path

TEN_MIB = 10 * 1024 * 1024
LIMIT = 1024 * 1024


class Firehose(io.RawIOBase):
    """A sender pushing `size` bytes; counts how many the server actually read."""

    def __init__(self, size: int) -> None:
        self.size, self.taken = size, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        left = self.size - self.taken
        n = left if n is None or n < 0 else min(n, left)
        self.taken += n
        return b" " * n


def deliver(sender: Sender, stream: Firehose, declared: int | None) -> tuple[int, str]:
    request = RequestFactory().post(f"/hooks/{sender.endpoint.token}/")
    request.META["CONTENT_TYPE"] = "application/json"
    request.META.pop("CONTENT_LENGTH", None)
    if declared is not None:
        request.META["CONTENT_LENGTH"] = str(declared)
        request._stream = stream  # what the server hands Django: the socket, not a buffered body
    else:  # chunked under a server that dechunks (gunicorn): wsgi.input ends with the body
        request.META["wsgi.input"] = stream
        request.META["wsgi.input_terminated"] = True
    response = views_hooks.webhook(request, token=sender.endpoint.token)
    return response.status_code, response.content.decode()


@pytest.mark.django_db
def test_a_declared_10_mib_body_is_refused_before_reading_any_of_it(client: Client) -> None:
    sender = webhook_sender(client, slug="plain")
    stream = Firehose(TEN_MIB)
    status, content = deliver(sender, stream, declared=TEN_MIB)
    assert status == 413 and "over the limit of 1048576 bytes (10485760 bytes)" in content
    assert stream.taken == 0
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status_code, delivery.body_size) == (413, TEN_MIB)


@pytest.mark.django_db
def test_a_streamed_10_mib_body_is_read_only_up_to_the_limit(client: Client) -> None:
    sender = webhook_sender(client, slug="plain")
    stream = Firehose(TEN_MIB)
    tracemalloc.start()
    try:
        status, content = deliver(sender, stream, declared=None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert status == 413 and "over the limit of 1048576 bytes" in content
    assert LIMIT < stream.taken <= LIMIT + 64 * 1024
    assert peak < 3 * 1024 * 1024, peak  # the whole body would be over 10 MiB
    assert not Run.objects.exists()


@contextmanager
def counting_commits() -> Iterator[list[int]]:
    commits: list[int] = []
    original = connection._commit

    def commit() -> None:
        commits.append(1)
        original()

    connection._commit = commit  # type: ignore[method-assign]
    try:
        yield commits
    finally:
        connection._commit = original  # type: ignore[method-assign]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_accepted_delivery_is_one_commit_and_a_handful_of_queries(client: Client) -> None:
    sender = webhook_sender(client, slug="plain")
    assert sender.post({"n": 0}, msg_id="warm-up").status_code == 202  # compiles the version once
    with counting_commits() as commits, CaptureQueriesContext(connection) as queries:
        response = sender.post({"n": 1}, msg_id="measured")
    assert response.status_code == 202
    assert len(commits) == 1
    # One lookup (endpoint, workflow, version); run, execution, delivery; the audit head and event.
    skip = ("django_q", "SAVEPOINT", "BEGIN", "COMMIT")
    ours = [q["sql"] for q in queries if not any(word in q["sql"] for word in skip)]
    assert len(ours) <= 8, "\n".join(ours)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_the_sequencer_an_accepted_delivery_is_one_write_statement(
    client: Client, settings: Any
) -> None:
    """Production's path (issue 10): the endpoint's lookup, which also counts the delivery
    against the per-minute limit and draws the run's and the execution's ids, then run,
    execution, delivery and the pending `run.started` event in one statement: two statements,
    each its own commit."""
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "AUDIT_SEQUENCER": True}
    sender = webhook_sender(client, slug="plain")
    assert sender.post({"n": 0}, msg_id="warm-up").status_code == 202
    with counting_commits() as commits, CaptureQueriesContext(connection) as queries:
        response = sender.post({"n": 1, "user": "jane.doe"}, msg_id="measured")
    assert response.status_code == 202
    assert commits == []  # no transaction block: each statement commits on its own
    ours = [q["sql"] for q in queries if "django_q" not in q["sql"]]
    assert len(ours) == 2, "\n".join(ours)  # lookup + count + ids, write
    lookup, write = ours
    assert "workflows_webhookrate" in lookup and lookup.count("nextval") == 2, lookup
    assert write.startswith('WITH r AS (INSERT INTO "workflows_run"') and "nextval" not in write
    # psycopg converts a statement's text once only up to 50 parameters (missing values go as
    # NULL literals to stay under it)
    assert max(int(n) for n in re.findall(r"\$(\d+)", write)) <= 50, write
    run = Run.objects.get(pk=response.json()["run"])
    assert run.executions.get().state == "queued"
    assert WebhookDelivery.objects.get(event_key="measured").run == run
    event = PendingAuditEvent.objects.get(action="run.started", run_id=run.pk)
    assert (event.target_id, event.target_label) == (str(run.pk), str(run))
    assert event.execution_id == run.executions.get().pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sequencer", [False, True], ids=["chained", "sequenced"])
def test_the_same_event_delivered_concurrently_starts_one_run(
    client: Client, settings: Any, sequencer: bool
) -> None:
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "AUDIT_SEQUENCER": sequencer}
    sender = webhook_sender(client, slug="plain")
    body = b'{"n": 1}'
    headers = sender.signed(body, "msg_racing")
    path = endpoint_path(sender.endpoint)

    def deliver_once() -> dict[str, Any]:
        response = Client().post(path, data=body, content_type="application/json", headers=headers)
        answer: dict[str, Any] = response.json()
        return answer

    answers = concurrently(deliver_once, 5)
    assert Run.objects.count() == 1
    assert {answer["run"] for answer in answers} == {Run.objects.get().pk}
    assert sorted(answer["status"] for answer in answers) == ["accepted"] + ["duplicate"] * 4
    assert Execution.objects.count() == 1  # the refused ones left nothing half-written
    started = AuditEvent if not sequencer else PendingAuditEvent
    assert started.objects.filter(action="run.started").count() == 1
    outcomes = sorted(WebhookDelivery.objects.values_list("outcome", flat=True))
    assert outcomes == ["accepted"] + ["duplicate"] * 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pgbouncer", [False, True], ids=["direct", "behind-pgbouncer"])
def test_the_ack_statements_are_prepared_once_per_connection_but_not_behind_pgbouncer(
    client: Client, settings: Any, pgbouncer: bool
) -> None:
    """Parsing and planning were a third of the server's time per delivery; a transaction-mode
    pooler would hand a prepared statement's name to another session, so none is made there."""
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "AUDIT_SEQUENCER": True}
    connection.close()  # a new session: none of the earlier tests' prepared statements
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = pgbouncer
    try:
        sender = webhook_sender(client, slug="plain")
        for n in range(3):
            assert sender.post({"n": n}, msg_id=f"m{n}").status_code == 202
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
            )
            prepared = cursor.fetchall()
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
    lookups = [runs for sql, runs in prepared if "workflows_webhookrate" in sql]
    writes = [
        runs for sql, runs in prepared if sql.startswith('WITH r AS (INSERT INTO "workflows_run"')
    ]
    if pgbouncer:
        assert prepared == []
    else:  # one statement each, planned for every delivery but parsed once
        assert (lookups, writes) == ([3], [3]), prepared
    assert Run.objects.count() == 3
