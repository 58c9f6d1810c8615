"""Reading a request body up to a limit, never a 10 MiB body whole into memory: a declared
length over the limit is refused before reading, and a body without one (chunked, or a server
that streams it) is read in chunks and refused as soon as it passes the limit."""

from __future__ import annotations

from django.http import HttpRequest

CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body is over the limit; nothing more of it is read."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        self.limit, self.declared = limit, declared
        size = f"{declared} bytes" if declared is not None else "more than that"
        super().__init__(f"the body is over the limit of {limit} bytes ({size})")


def read_limited(request: HttpRequest, limit: int) -> bytes:
    """The body of `request`, at most `limit` bytes; raises BodyTooLarge past it."""
    declared = request.META.get("CONTENT_LENGTH")
    if declared:
        try:
            length = int(declared)
        except ValueError:
            length = None
        if length is not None and length > limit:
            raise BodyTooLarge(limit, length)
    parts: list[bytes] = []
    total = 0
    while True:
        piece = request.read(min(CHUNK, limit + 1 - total))
        if not piece:
            return b"".join(parts)
        parts.append(piece)
        total += len(piece)
        if total > limit:
            raise BodyTooLarge(limit)
