"""Signed resume tokens: a URL an outside system (or an emailed approval link) uses to continue a
waiting run at one block, once. The token carries the run, the block and optionally the outcome,
signed with the project's SECRET_KEY under a salt per purpose, and expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

RESUME_SALT = "workflows.resume"


@dataclass(frozen=True)
class ResumeClaim:
    run_id: int
    block_key: str
    outcome: str  # "" lets the caller name the outcome


class BadResumeToken(Exception):
    """Forged, altered or expired; `expired` tells the two apart for the answer."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        self.expired = expired
        super().__init__(message)


def resume_token(*, run_id: int, block_key: str, outcome: str = "", salt: str = RESUME_SALT) -> str:
    data: dict[str, object] = {"r": run_id, "b": block_key}
    if outcome:
        data["o"] = outcome
    return signing.dumps(data, salt=salt, compress=True)


def read_resume_token(token: str, *, max_age: timedelta, salt: str = RESUME_SALT) -> ResumeClaim:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise BadResumeToken("this callback link has expired", expired=True) from None
    except signing.BadSignature:
        raise BadResumeToken("this callback link is not valid") from None
    return ResumeClaim(int(data["r"]), str(data["b"]), str(data.get("o", "")))
