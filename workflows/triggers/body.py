"""Reading a request body up to a limit, never a 10 MiB body whole into memory: a declared
length over the limit is refused before reading, and a body without one is read in chunks and
refused as soon as it passes the limit.

A chunked body (`Transfer-Encoding: chunked`) has no CONTENT_LENGTH under WSGI, and Django then
reads the body as empty (its stream is limited to the declared length, 0), which a signed delivery
would answer with a misleading "the signature does not match". So without a declared length:

- a server that dechunks and marks `wsgi.input` as ending at the body's end
  (`wsgi.input_terminated` true: gunicorn, mod_wsgi) has `wsgi.input` read until EOF, at most
  limit + 1 bytes;
- any other server (Django's runserver, wsgiref) cannot hand over a chunked body: BodyLengthRequired
  (answered 411, "send Content-Length") when the request declares a Transfer-Encoding;
- a request with neither a length nor a Transfer-Encoding has no body (RFC 9112, 6.3): b"".
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body is over the limit; nothing more of it is read."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        self.limit, self.declared = limit, declared
        size = f"{declared} bytes" if declared is not None else "more than that"
        super().__init__(f"the body is over the limit of {limit} bytes ({size})")


class BodyLengthRequired(Exception):
    """A body without Content-Length (chunked) that this server cannot read: answered 411."""

    def __init__(self) -> None:
        super().__init__(
            "this server cannot read a body sent with Transfer-Encoding: chunked; "
            "send the body with a Content-Length header"
        )


def read_limited(request: HttpRequest, limit: int) -> bytes:
    """The body of `request`, at most `limit` bytes; raises BodyTooLarge past it, and
    BodyLengthRequired for a chunked body the server cannot read (see the module docstring)."""
    declared = (request.META.get("CONTENT_LENGTH") or "").strip()
    if declared:
        try:
            length = int(declared)
        except ValueError:
            length = None
        if length is not None and length > limit:
            raise BodyTooLarge(limit, length)
        return _read(request.read, limit)
    if request.META.get("wsgi.input_terminated"):
        stream = request.META.get("wsgi.input")
        return _read(stream.read, limit) if stream is not None else b""
    if request.META.get("HTTP_TRANSFER_ENCODING", "").strip():
        raise BodyLengthRequired()
    return b""


def _read(read: Any, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        piece = read(min(CHUNK, limit + 1 - total))
        if not piece:
            return b"".join(parts)
        parts.append(piece)
        total += len(piece)
        if total > limit:
            raise BodyTooLarge(limit)
