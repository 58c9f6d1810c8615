"""A connector type for tests: appends every call to a journal file so another process can see it.

Config: `journal` (file path), `sleep` (seconds before answering; to overrun the window),
`db_sleep` (seconds spent inside a PostgreSQL query),
`swallow_stop` (seconds spent catching every BaseException, the window's stop included),
`c_busy` (PBKDF2 iterations: time spent in C, where no signal handler runs),
`fail` ("permanent" or "retryable"; an operator "fixes" it by editing the config),
`answer_json` (raw JSON text merged into the result, parsed as `requests` would: NaN allowed).
Each journal line carries the call's idempotency key and whether it was a reconciling call.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from django.db import connection

from connectors.base import OPERATIONS, CallOptions, Connector, Outcome, Result


class JournalConnector(Connector):
    type_name = "journal"
    label = "Journal (tests)"
    operations = frozenset(OPERATIONS)
    secret_fields = ("token",)

    def _do(self, operation: str, options: CallOptions, **args: Any) -> Result:
        if self.config.get("sleep"):
            time.sleep(float(self.config["sleep"]))
        if self.config.get("swallow_stop"):  # a connector that catches BaseException
            until = time.monotonic() + float(self.config["swallow_stop"])
            while time.monotonic() < until:
                with contextlib.suppress(BaseException):  # swallowing the stop is the point
                    time.sleep(0.05)
        if self.config.get("c_busy"):  # stuck in C: the stop's handler cannot run meanwhile
            hashlib.pbkdf2_hmac("sha256", b"x", b"y", int(self.config["c_busy"]))
        if self.config.get("db_sleep"):  # hang inside a query, as a connector on a DB might
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", [float(self.config["db_sleep"])])
        if self.config.get("crash"):  # a bug in connector code, its message naming the token
            raise RuntimeError(f"boom with {self.secrets.get('token')}")
        if self.config.get("fail"):
            retryable = self.config["fail"] == "retryable"
            outcome = Outcome.RETRYABLE if retryable else Outcome.PERMANENT
            return Result(
                outcome, f"{operation} refused by test config (token {self.secrets.get('token')})"
            )
        if options.dry_run:
            return Result(Outcome.WOULD_CHANGE, f"would {operation} {args}")
        journal = self.config.get("journal")
        if journal:
            with Path(journal).open("a") as fh:
                line = {
                    "op": operation,
                    **args,
                    "key": options.idempotency_key,
                    "reconcile": options.reconcile,
                }
                fh.write(json.dumps(line) + "\n")
        answer = json.loads(self.config["answer_json"]) if self.config.get("answer_json") else {}
        return Result(Outcome.CHANGED, f"{operation} done", {"args": args, **answer})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("op_") and name[3:] in OPERATIONS:
            operation = name[3:]
            return lambda *, options, **args: self._do(operation, options, **args)
        raise AttributeError(name)


def journal_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]
