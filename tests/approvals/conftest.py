"""Approvals fixtures: the real SMTP server of the connector tests."""

from tests.connectors.servers import smtp_server

__all__ = ["smtp_server"]
