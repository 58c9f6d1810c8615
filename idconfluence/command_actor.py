"""`--user NAME` for management commands that act for a person: the command then runs as that
person through the same services (and so the same rules) as the console and the API. Without
it the command acts as the product itself, as whoever holds the shell already can."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser


def add_user_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--user",
        metavar="USERNAME",
        help="act as this person: their permissions are checked and the audit log names them",
    )


def actor_from(options: dict[str, Any]) -> Any:
    """The active user named by --user, or None (the product acting itself)."""
    name = options.get("user")
    if not name:
        return None
    model = get_user_model()
    user = model._default_manager.filter(**{model.USERNAME_FIELD: name}).first()
    if user is None or not user.is_active:
        raise CommandError(f"no active user named {name!r}")
    return user
