"""The fault suite's ledger: one row per fault injected, with what it cost. Plain Python, so the
root conftest can print it without importing Django models."""

from __future__ import annotations

from typing import Any

LEDGER: list[dict[str, Any]] = []


def ledger(fault: str, *, executions: int, lost: int, duplicated: int) -> None:
    """One row of the summary table the suite prints at the end."""
    LEDGER.append(
        {"fault": fault, "executions": executions, "lost": lost, "duplicated": duplicated}
    )
