"""What the fault suite shares: a ledger of faults injected and what they cost, a real HTTP target
that applies group-membership changes (and de-duplicates by Idempotency-Key, as Stripe-style
APIs do), and ways to find a worker's process and its PostgreSQL backend."""

from __future__ import annotations

import http.server
import json
import os
import re
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.models import Connector
from tests.faults.ledger import LEDGER, ledger
from workflows.models import Execution, Run

__all__ = ["LEDGER", "ledger"]


def lost_executions(*runs: Run) -> int:
    """Executions left neither finished nor handed to an operator: lost."""
    live = ("queued", "running")
    return Execution.objects.filter(run__in=runs, state__in=live).count()


def latest(run: Run, *states: str) -> Execution | None:
    execution = run.executions.order_by("-number").first()
    if execution is not None and execution.state in states:
        return execution
    return None


def worker_pid(execution: Execution) -> int:
    return int(execution.worker.rsplit(":", 1)[1])


def backend_ports(pid: int) -> set[int]:
    """Local TCP ports of `pid`'s sockets: PostgreSQL sees them as its backends' client_port."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        match = re.fullmatch(r"socket:\[(\d+)\]", target)
        if match:
            inodes.add(match.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[9] in inodes:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


@dataclass
class Target:
    """Group membership over HTTP. POST applies (once per Idempotency-Key) after `delay`
    seconds have passed *after* applying, like a server whose answer is slow or lost."""

    members: set[tuple[str, str]] = field(default_factory=set)
    applied: Counter[tuple[str, str]] = field(default_factory=Counter)
    keys: set[str] = field(default_factory=set)
    posts: int = 0
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def duplicated(self) -> int:
        return sum(n - 1 for n in self.applied.values() if n > 1)

    def connector(self, name: str = "target") -> Connector:
        """A configured REST connector for this target, as an operator would set it up."""
        op = {
            "method": "POST",
            "path": "/groups/{{ group }}/members",
            "json": {"user": "{{ user }}"},
            "check": {
                "method": "GET",
                "path": "/groups/{{ group }}/members/{{ user }}",
                "present_status": [200],
            },
        }
        row = Connector(
            name=name,
            type="rest",
            config={
                "base_url": self.url,
                "idempotency_header": "Idempotency-Key",
                "operations": {"add_group_member": op},
            },
        )
        row.set_secrets({})
        row.save()
        return row


class _Handler(http.server.BaseHTTPRequestHandler):
    target: Target

    def do_POST(self) -> None:
        group = self.path.split("/")[2]
        length = int(self.headers.get("Content-Length") or 0)
        user = json.loads(self.rfile.read(length))["user"]
        key = self.headers.get("Idempotency-Key", "")
        target = self.target
        with target.lock:
            target.posts += 1
            if not key or key not in target.keys:
                target.keys.add(key)
                target.members.add((user, group))
                target.applied[(user, group)] += 1
        if target.delay:
            threading.Event().wait(target.delay)
        self._answer(201, {"member": user, "group": group, "id": f"m-{user}-{group}"})

    def do_GET(self) -> None:
        _, _, group, _, user = self.path.split("/")[:5]
        present = (user, group) in self.target.members
        self._answer(200 if present else 404, {"member": user} if present else {})

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (its window ended): the change stays applied

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def target_server() -> Iterator[Target]:
    target = Target()
    handler = type("Handler", (_Handler,), {"target": target})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    target.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
