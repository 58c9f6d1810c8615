"""Suite-wide fixtures: database flavour detection, a marker that skips PostgreSQL-only tests, and
the fault suite's summary (faults injected, executions lost, external changes duplicated: both
must be 0; the README's reliability section quotes it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.faults.ledger import LEDGER
from tests.support.gunicorn import gunicorn, gunicorn_per_module  # noqa: F401 - fixtures


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not LEDGER:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fault suite")
    write(f"{'fault injected':<62} {'executions':>10} {'lost':>5} {'duplicated':>10}")
    for row in LEDGER:
        write(
            f"{row['fault']:<62} {row['executions']:>10} {row['lost']:>5} {row['duplicated']:>10}"
        )
    total = {key: sum(row[key] for row in LEDGER) for key in ("executions", "lost", "duplicated")}
    write(
        f"{f'{len(LEDGER)} faults':<62} {total['executions']:>10} {total['lost']:>5} "
        f"{total['duplicated']:>10}"
    )
