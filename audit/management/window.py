"""The date-window options the audit commands share (--from, --to, --tz) and their parsing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from audit import filters


def add_window_arguments(parser: CommandParser) -> None:
    parser.add_argument("--from", dest="from", help="first day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--to", dest="to", help="last day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--tz", help="time zone of the days (default: settings.TIME_ZONE)")


def window_from_options(options: dict[str, Any]) -> filters.EventFilter:
    zone = filters.zone_named(options.get("tz")) or filters.auditor_zone(None)
    try:
        return filters.parse(options, zone)
    except filters.FilterError as error:
        raise CommandError(str(error)) from error
