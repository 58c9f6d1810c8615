"""Connector test fixtures: the real servers of `servers.py`, started once per session."""

from tests.connectors.servers import (
    http_server,
    http_server_session,
    scim_server,
    slapd,
    smtp_server,
)

__all__ = ["http_server", "http_server_session", "scim_server", "slapd", "smtp_server"]
