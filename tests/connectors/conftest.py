"""Connector test fixtures: the real servers of `servers.py`, started once per session."""

from tests.connectors.servers import (
    http_proxy,
    http_server,
    http_server_session,
    scim_proxy,
    scim_server,
    slapd,
    smtp_server,
    smtp_server_losing_answers,
)

__all__ = [
    "http_proxy",
    "http_server",
    "http_server_session",
    "scim_proxy",
    "scim_server",
    "slapd",
    "smtp_server",
    "smtp_server_losing_answers",
]
