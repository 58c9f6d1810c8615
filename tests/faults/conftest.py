"""The fault suite prints what it injected and what it cost: executions lost and external
changes duplicated (both must be 0). The README's reliability section quotes this table."""

from __future__ import annotations

from typing import Any

from tests.faults.support import LEDGER


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
