"""A small pool of bound ldap3 connections per directory and credentials, reused across calls.

Binding (and StartTLS) costs round trips a workflow step should not pay on every call. A
connection is lent to one caller at a time (ldap3's SYNC strategy is not thread-safe); one that
failed is closed, never returned, so a directory restart costs one retried attempt.
"""

from __future__ import annotations

import hashlib
import json
import queue
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException, LDAPOperationResult

from connectors.base import ConnectorError
from connectors.retry import current_budget

DEFAULT_POOL_SIZE = 4

_pools: dict[str, queue.LifoQueue[ldap3.Connection]] = {}
_pools_lock = threading.Lock()


def _key(settings: dict[str, Any], password: str) -> str:
    """Pools are per server, TLS options and credentials; the password only as a digest."""
    material = json.dumps(settings, sort_keys=True) + hashlib.sha256(password.encode()).hexdigest()
    return hashlib.sha256(material.encode()).hexdigest()


def _pool(key: str, size: int) -> queue.LifoQueue[ldap3.Connection]:
    with _pools_lock:
        return _pools.setdefault(key, queue.LifoQueue(maxsize=size))


def open_connection(config: dict[str, Any], password: str) -> ldap3.Connection:
    """Open and bind a new connection: LDAPS from an ldaps:// URL, or StartTLS when configured."""
    url = urlsplit(config["url"])
    secure = url.scheme == "ldaps" or config.get("start_tls", False)
    tls = None
    if secure:
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED if config.get("verify_tls", True) else ssl.CERT_NONE,
            ca_certs_file=config.get("ca_file") or None,
        )
    left = current_budget().left()
    server = ldap3.Server(
        url.hostname or "localhost",
        port=url.port or (636 if url.scheme == "ldaps" else 389),
        use_ssl=url.scheme == "ldaps",
        tls=tls,
        connect_timeout=left,
        get_info=ldap3.NONE,  # no schema round trip: filters are sent as written
    )
    conn = ldap3.Connection(
        server,
        user=config["bind_dn"],
        password=password,
        raise_exceptions=True,
        auto_referrals=False,
    )
    conn.open(read_server_info=False)
    # ldap3's receive_timeout takes whole seconds only; a socket timeout takes the time left.
    conn.socket.settimeout(current_budget().left())
    wants_start_tls = config.get("start_tls", False) and url.scheme != "ldaps"
    # Never fall back to plaintext: the bind would send the password in the clear.
    if wants_start_tls and not (conn.start_tls(read_server_info=False) and conn.tls_started):
        conn.unbind()
        raise ConnectorError("StartTLS was refused by the directory")
    if not conn.bind(read_server_info=False):
        result = conn.result or {}
        conn.unbind()
        raise ConnectorError(f"bind as {config['bind_dn']} refused: {result.get('description')}")
    return conn


@contextmanager
def borrowed(config: dict[str, Any], password: str) -> Iterator[ldap3.Connection]:
    """A bound connection for one attempt, its socket timeout set to the time left."""
    settings = {k: config.get(k) for k in ("url", "bind_dn", "start_tls", "verify_tls", "ca_file")}
    pool = _pool(_key(settings, password), int(config.get("pool_size", DEFAULT_POOL_SIZE)))
    try:
        conn = pool.get_nowait()
    except queue.Empty:
        conn = open_connection(config, password)
    try:
        if conn.socket is not None:
            conn.socket.settimeout(current_budget().left())
        yield conn
    except LDAPOperationResult:
        _give_back(pool, conn)  # the directory answered: the connection itself is fine
        raise
    except BaseException:
        _close(conn)
        raise
    else:
        _give_back(pool, conn)


def with_connection(
    config: dict[str, Any], password: str, work: Callable[[ldap3.Connection], Any]
) -> Any:
    with borrowed(config, password) as conn:
        return work(conn)


def _give_back(pool: queue.LifoQueue[ldap3.Connection], conn: ldap3.Connection) -> None:
    if conn.closed or not conn.bound:
        _close(conn)
        return
    try:
        pool.put_nowait(conn)
    except queue.Full:
        _close(conn)


def _close(conn: ldap3.Connection) -> None:
    with suppress(LDAPException, OSError):
        conn.unbind()


def clear() -> None:
    """Close every pooled connection (tests; after rotating a directory password)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        while not pool.empty():
            _close(pool.get_nowait())
