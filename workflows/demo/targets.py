"""The demo's targets on loopback, for `make run`: a real SCIM 2.0 service (scim2-server, in
memory, seeded with the groups the templates grant) and an SMTP catcher, with one page that lists
the mail received (approval links clickable) and who is in which SCIM group, so a newcomer sees
each step land. Development only: scim2-server and aiosmtpd are dev dependencies."""

from __future__ import annotations

import contextlib
import html
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

# What the templates grant, so a demo run finds every group it names.
GROUPS = (
    "Email",
    "Collaboration",
    "Wiki",
    "Financial-Reporting",
    "Sensitive-Environment",
    "Engineering-Repositories",
    "Development-Environments",
)
MAX_MESSAGES = 500
URL = re.compile(r"https?://[^\s<>\"']+")


@dataclass
class Mail:
    sender: str
    to: list[str]
    subject: str
    body: str
    received: str


@dataclass
class Mailbox:
    """What the SMTP catcher received, newest last, bounded."""

    messages: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        part = parsed.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        mail = Mail(
            sender=str(envelope.mail_from),
            to=list(envelope.rcpt_tos),
            subject=str(parsed.get("Subject", "")),
            body=str(body),
            received=time.strftime("%H:%M:%S"),
        )
        with self.lock:
            self.messages.append(mail)
            del self.messages[:-MAX_MESSAGES]
        return "250 OK"


class Scim:
    """The SCIM service read and seeded over SCIM itself."""

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        )

    def resources(self, kind: str) -> list[dict[str, Any]]:
        answer = self.session.get(f"{self.base_url}/{kind}", params={"count": 500}, timeout=5)
        answer.raise_for_status()
        return list(answer.json().get("Resources", []))

    def seed(self, groups: tuple[str, ...] = GROUPS) -> None:
        present = {group["displayName"] for group in self.resources("Groups")}
        for name in groups:
            if name not in present:
                body = {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                    "displayName": name,
                }
                self.session.post(
                    f"{self.base_url}/Groups", json=body, timeout=5
                ).raise_for_status()

    def memberships(self) -> tuple[list[tuple[str, bool]], dict[str, list[str]]]:
        """(users with their active flag, group -> member userNames)."""
        users = self.resources("Users")
        names = {user["id"]: user["userName"] for user in users}
        groups = {
            group["displayName"]: sorted(
                names.get(m.get("value"), m.get("value", "?")) for m in group.get("members") or []
            )
            for group in self.resources("Groups")
        }
        listed = sorted((user["userName"], user.get("active", True) is not False) for user in users)
        return listed, dict(sorted(groups.items()))


def _linked(text: str) -> str:
    """Escaped text with its addresses as links (the approval link is the point)."""
    out, last = [], 0
    for found in URL.finditer(text):
        out.append(html.escape(text[last : found.start()]))
        url = html.escape(found.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = found.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def render(mailbox: Mailbox, scim: Scim) -> str:
    with mailbox.lock:
        mails = list(reversed(mailbox.messages))
    try:
        users, groups = scim.memberships()
        directory = "".join(
            f'<tr><td>{html.escape(name)}</td><td class="members">'
            f"{html.escape(', '.join(members)) or '—'}</td></tr>"
            for name, members in groups.items()
        )
        accounts = "".join(
            f"<li>{html.escape(name)} ({'active' if active else 'deactivated'})</li>"
            for name, active in users
        )
    except requests.RequestException as exc:
        directory, accounts = (
            f'<tr><td colspan="2">SCIM unreachable: {html.escape(str(exc))}</td></tr>',
            "",
        )
    letters = (
        "".join(
            f'<article class="mail"><h3>{html.escape(m.subject)}</h3>'
            f"<p class=meta>{html.escape(m.received)} from {html.escape(m.sender)} "
            f"to {html.escape(', '.join(m.to))}</p><pre>{_linked(m.body)}</pre></article>"
            for m in mails
        )
        or "<p>No mail yet.</p>"
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="5"><title>idconfluence demo targets</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}pre{{white-space:pre-wrap;
background:#f4f4f4;padding:.5em}}td{{border-bottom:1px solid #ddd;padding:.2em 1em}}
.meta{{color:#666}}</style></head><body>
<h1>Demo targets</h1><p>This page refreshes every 5 seconds.</p>
<section id="scim"><h2>SCIM directory ({html.escape(scim.base_url)})</h2>
<h3>Groups and their members</h3><table id="groups">{directory}</table>
<h3>Accounts</h3><ul id="accounts">{accounts}</ul></section>
<section id="mail"><h2>Mail received ({len(mails)})</h2>{letters}</section>
</body></html>"""


def _page_handler(mailbox: Mailbox, scim: Scim) -> type[BaseHTTPRequestHandler]:
    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path not in ("/", "/index.html"):
                self.send_error(404, "only / is served here")
                return
            body = render(mailbox, scim).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Page


def _wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scim2-server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"scim2-server did not listen on {port} within {seconds} s")


@contextlib.contextmanager
def serving(*, scim_port: int, token: str, smtp_port: int, page_port: int) -> Iterator[str]:
    """Start the three; yields the page's address; everything stops on exit."""
    from aiosmtpd.controller import Controller

    binary = Path(sys.executable).with_name("scim2-server")
    command = [str(binary), "--hostname", "127.0.0.1", "--port", str(scim_port)]
    scim_process = subprocess.Popen(  # noqa: S603 - our own venv's scim2-server
        [*command, "--bearer-token", token],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(scim_port, scim_process)
        scim = Scim(f"http://127.0.0.1:{scim_port}/v2", token)
        scim.seed()
        mailbox = Mailbox()
        controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        try:
            page = ThreadingHTTPServer(("127.0.0.1", page_port), _page_handler(mailbox, scim))
            threading.Thread(target=page.serve_forever, daemon=True).start()
            try:
                yield f"http://127.0.0.1:{page_port}/"
            finally:
                page.shutdown()
                page.server_close()
        finally:
            controller.stop()
    finally:
        scim_process.terminate()
        scim_process.wait(timeout=5)
