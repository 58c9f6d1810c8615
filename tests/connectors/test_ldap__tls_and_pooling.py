"""LDAP transport: StartTLS and LDAPS against slapd's own certificate, and pooled connections."""

from __future__ import annotations

import pytest

from connectors import ldap_pool
from connectors.base import Outcome
from connectors.types.ldap import LdapConnector
from tests.connectors.servers import Slapd, unique

pytestmark = pytest.mark.servers


def get_user(slapd: Slapd, uid: str, **config: object) -> object:
    connector = LdapConnector(
        name="ldap", config=slapd.config(**config), secrets={"password": slapd.admin_password}
    )
    return connector.call("get_user", {"user": uid}, timeout=3)


@pytest.mark.parametrize("transport", ["start_tls", "ldaps"])
def test_encrypted_transport_with_the_servers_ca(slapd: Slapd, transport: str) -> None:
    uid = unique("tls")
    dn = slapd.add_user(uid)
    config: dict[str, object] = {"ca_file": slapd.ca_file}
    if transport == "ldaps":
        config["url"] = slapd.ldaps_url
    else:
        config["start_tls"] = True
    result = get_user(slapd, uid, **config)
    assert result.outcome == Outcome.ALREADY, result.message
    assert result.data["dn"] == dn


def test_an_untrusted_certificate_fails_permanently_without_retrying(slapd: Slapd) -> None:
    result = get_user(slapd, "anyone", url=slapd.ldaps_url)  # the system CAs do not know it
    assert result.outcome == Outcome.PERMANENT
    assert "TLS failure" in result.message
    assert result.attempts == 1


def test_connections_are_pooled_across_calls(slapd: Slapd, monkeypatch: pytest.MonkeyPatch) -> None:
    ldap_pool.clear()
    opened: list[object] = []
    original = ldap_pool.open_connection

    def counting(config: dict[str, object], password: str) -> object:
        opened.append(config)
        return original(config, password)

    monkeypatch.setattr(ldap_pool, "open_connection", counting)
    uid = unique("pooled")
    slapd.add_user(uid)
    for _ in range(3):
        assert get_user(slapd, uid, pool_size=2).ok
    assert len(opened) == 1
    ldap_pool.clear()
