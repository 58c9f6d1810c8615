"""Fifty writers at once, each in its own transaction on its own connection: one unbroken chain."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from audit.chain import verify_chain
from audit.models import AuditEvent
from audit.services import record, record_many

WRITERS = 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_writers_make_one_chain() -> None:
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait(timeout=30)
            with transaction.atomic():
                record(action="writer.first", details={"writer": n})
            with transaction.atomic():
                record_many(
                    [{"action": "writer.batch", "details": {"writer": n, "i": i}} for i in range(3)]
                )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    result = verify_chain()
    assert result.ok, result.problem
    assert result.checked == WRITERS * 4
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * 4 + 1))
