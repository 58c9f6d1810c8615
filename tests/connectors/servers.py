"""Real protocol servers for connector tests: scim2-server, OpenLDAP slapd, aiosmtpd on loopback,
and proxies in front of them that lose chosen answers (a write applied, its answer never sent).

Each server starts once per session on a free port of 127.0.0.1 and is stopped at the end;
tests give their objects unique names so they never depend on each other's state.
"""

from __future__ import annotations

import http.client
import http.server
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

LDAP_SUFFIX = "dc=example,dc=org"
LDAP_ADMIN = f"cn=admin,{LDAP_SUFFIX}"
LDAP_ADMIN_PASSWORD = "admin-secret-pw"
SCIM_TOKEN = "scim-bearer-token-s3cr3t"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds}s")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class ScimServer:
    base_url: str
    token: str

    def config(self, **extra: Any) -> dict[str, Any]:
        return {"base_url": self.base_url, "auth": "bearer", **extra}


@pytest.fixture(scope="session")
def scim_server() -> Iterator[ScimServer]:
    port = free_port()
    binary = Path(sys.executable).with_name("scim2-server")
    command = [
        str(binary),
        "--hostname",
        "127.0.0.1",
        "--port",
        str(port),
        "--bearer-token",
        SCIM_TOKEN,
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield ScimServer(base_url=f"http://127.0.0.1:{port}/v2", token=SCIM_TOKEN)
    finally:
        process.terminate()
        process.wait(timeout=5)


# OpenLDAP ------------------------------------------------------------------------------------

# A few Active Directory attributes (their real OIDs) so the AD mode runs against slapd too.
AD_LITE_SCHEMA = """\
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.55555.1.1 NAME 'idcTestAdUser' AUXILIARY
  MAY ( sAMAccountName $ userAccountControl ) )
"""

SLAPD_CONF = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include {dir}/ad-lite.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
moduleload refint
moduleload ppolicy
pidfile {dir}/slapd.pid
TLSCertificateFile {dir}/server.pem
TLSCertificateKeyFile {dir}/server.key
database mdb
suffix "{suffix}"
rootdn "{admin}"
rootpw {password_hash}
directory {dir}/db
maxsize 10485760
overlay memberof
overlay refint
refint_attributes member
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{suffix}"
"""

BASE_LDIF = """\
dn: {suffix}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,{suffix}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{suffix}
objectClass: organizationalUnit
ou: groups

dn: ou=policies,{suffix}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,{suffix}
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
"""


def write_self_signed_cert(directory: Path) -> Path:
    """A certificate for 127.0.0.1 (IP SAN) that the tests trust as their CA file."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = directory / "server.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "server.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return pem


@dataclass
class Slapd:
    url: str
    ldaps_url: str
    ca_file: str
    suffix: str = LDAP_SUFFIX
    admin_dn: str = LDAP_ADMIN
    admin_password: str = LDAP_ADMIN_PASSWORD
    people: str = f"ou=people,{LDAP_SUFFIX}"
    groups: str = f"ou=groups,{LDAP_SUFFIX}"
    seeded: list[str] = field(default_factory=list)

    def config(self, **extra: Any) -> dict[str, Any]:
        return {"url": self.url, "bind_dn": self.admin_dn, "base_dn": self.suffix, **extra}

    def admin(self) -> Any:
        """An independent ldap3 connection, to read what the connector did."""
        import ldap3

        return ldap3.Connection(
            self.url, self.admin_dn, self.admin_password, auto_bind=True, raise_exceptions=True
        )

    def add_user(self, uid: str, *, password: str = "", ad: bool = False) -> str:
        dn = f"uid={uid},{self.people}"
        attributes: dict[str, Any] = {
            "uid": uid,
            "cn": uid,
            "sn": uid,
            "mail": f"{uid}@example.org",
            "userPassword": password or f"{uid}-pw",
        }
        classes = ["inetOrgPerson"]
        if ad:
            classes.append("idcTestAdUser")
            attributes.update(sAMAccountName=f"{uid}.ad", userAccountControl=512)
        with self.admin() as conn:
            conn.add(dn, classes, attributes)
        return dn

    def add_group(self, cn: str, members: list[str]) -> str:
        dn = f"cn={cn},{self.groups}"
        with self.admin() as conn:
            conn.add(dn, ["groupOfNames"], {"cn": cn, "member": members})
        return dn


@pytest.fixture(scope="session")
def slapd() -> Iterator[Slapd]:
    if not shutil.which("slapd") and not Path("/usr/sbin/slapd").exists():
        pytest.skip("slapd is not installed (run scripts/services.sh)")
    # Not under pytest's tmp dir: as root, slapd runs as `openldap`, which cannot enter that one.
    directory = Path(tempfile.mkdtemp(prefix="idc-slapd-"))
    (directory / "db").mkdir()
    (directory / "ad-lite.schema").write_text(AD_LITE_SCHEMA)
    password_hash = subprocess.run(
        ["slappasswd", "-s", LDAP_ADMIN_PASSWORD], check=True, capture_output=True, text=True
    ).stdout.strip()
    conf = directory / "slapd.conf"
    conf.write_text(
        SLAPD_CONF.format(
            dir=directory, suffix=LDAP_SUFFIX, admin=LDAP_ADMIN, password_hash=password_hash
        )
    )
    ca_file = write_self_signed_cert(directory)
    ldif = directory / "base.ldif"
    ldif.write_text(BASE_LDIF.format(suffix=LDAP_SUFFIX))
    subprocess.run(
        ["slapadd", "-q", "-f", str(conf), "-l", str(ldif)], check=True, capture_output=True
    )
    port, tls_port = free_port(), free_port()
    listen = f"ldap://127.0.0.1:{port}/ ldaps://127.0.0.1:{tls_port}/"
    command = ["slapd", "-f", str(conf), "-h", listen, "-d", "0"]
    if os.geteuid() == 0:
        shutil.chown(directory, "openldap", "openldap")
        for path in directory.rglob("*"):
            shutil.chown(path, "openldap", "openldap")
        command += ["-u", "openldap", "-g", "openldap"]
    # -d keeps slapd in the foreground, so the fixture owns the process and its exit.
    log = (directory / "slapd.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port(port, process)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {(directory / 'slapd.log').read_text()[-2000:]}") from exc
        yield Slapd(
            url=f"ldap://127.0.0.1:{port}",
            ldaps_url=f"ldaps://127.0.0.1:{tls_port}",
            ca_file=str(ca_file),
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(directory, ignore_errors=True)


# SMTP ----------------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Any]


class _Keep:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    handler = _Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler.messages)
    finally:
        controller.stop()


# HTTP ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def http_server_session() -> Iterator[Any]:
    from pytest_httpserver import HTTPServer

    # Threaded, so a handler made to hang for a timeout test does not hold up the next request.
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@pytest.fixture
def http_server(http_server_session: Any) -> Iterator[Any]:
    http_server_session.clear()
    yield http_server_session
    http_server_session.clear()


# A proxy that loses answers -------------------------------------------------------------------


@dataclass
class _Rule:
    method: str
    path: str
    drop: bool  # forward the request, then close the client's connection without answering
    before: Any  # called before forwarding (e.g. another client racing us)


class _Relay(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def relay(self) -> None:
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        rule = proxy.take_rule(self.command, urlsplit(self.path).path)
        if rule and rule.before:
            rule.before()
        upstream = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=5)
        skip = {"host", "connection", "keep-alive"}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
        upstream.request(self.command, self.path, body, headers)
        answer = upstream.getresponse()
        payload = answer.read()
        upstream.close()
        proxy.log.append((self.command, urlsplit(self.path).path, answer.status))
        if rule and rule.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)  # the request was applied; no answer
            return
        self.send_response(answer.status)
        drop = {"transfer-encoding", "connection", "content-length", "date", "server"}
        for name, value in answer.getheaders():
            if name.lower() not in drop:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = relay

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    proxy: Proxy


@dataclass
class Proxy:
    """An HTTP proxy on loopback in front of a real server, told to lose chosen answers."""

    upstream_host: str
    upstream_port: int
    port: int = 0
    log: list[tuple[str, str, int]] = field(default_factory=list)
    rules: list[_Rule] = field(default_factory=list)

    def once(self, method: str, path: str, *, drop: bool = False, before: Any = None) -> None:
        """For the next `method path` only: run `before`, forward it, and drop if asked."""
        self.rules.append(_Rule(method, path, drop, before))

    def take_rule(self, method: str, path: str) -> _Rule | None:
        for rule in self.rules:
            if (rule.method, rule.path) == (method, path):
                self.rules.remove(rule)
                return rule
        return None

    def sent(self, method: str, path: str) -> int:
        """How many `method path` requests reached the upstream server."""
        return sum(1 for m, p, _ in self.log if (m, p) == (method, path))


def start_proxy(upstream_url: str) -> tuple[Proxy, _ProxyServer]:
    parts = urlsplit(upstream_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 80)
    server = _ProxyServer(("127.0.0.1", 0), _Relay)
    server.proxy = proxy
    proxy.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return proxy, server


@pytest.fixture
def scim_proxy(scim_server: ScimServer) -> Iterator[tuple[Proxy, ScimServer]]:
    """The real scim2-server behind a proxy: (proxy, the server as seen through the proxy)."""
    proxy, server = start_proxy(scim_server.base_url)
    try:
        yield proxy, ScimServer(f"http://127.0.0.1:{proxy.port}/v2", scim_server.token)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def http_proxy(http_server: Any) -> Iterator[Proxy]:
    """The pytest-httpserver behind a proxy that can lose answers."""
    proxy, server = start_proxy(http_server.url_for(""))
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


# An SMTP server that loses the answer to DATA --------------------------------------------------


class _DropAfterData:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)  # the message is in: the server may deliver it
        server.transport.abort()  # ... but its 250 never reaches the client
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_server_losing_answers() -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller

    handler = _DropAfterData()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, handler.messages)
    finally:
        controller.stop()
