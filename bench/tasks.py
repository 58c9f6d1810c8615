"""The bare django-q2 baseline task: does nothing, so the rate is django-q2's own."""


def noop(i: int) -> None:
    return None
