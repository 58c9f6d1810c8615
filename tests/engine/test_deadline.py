"""Deadline arithmetic and the hard stop, without a database."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from workflows.engine.deadline import Deadline, HardStop
from workflows.engine.errors import WindowExceeded


def test_remaining_and_exceeded() -> None:
    deadline = Deadline(at=100.0)
    assert deadline.remaining(90.0) == 10.0
    assert deadline.remaining(101.0) == 0.0
    assert not deadline.exceeded(99.9)
    assert deadline.exceeded(100.0)


def test_call_timeout_is_the_time_left_capped() -> None:
    deadline = Deadline(at=100.0)
    assert deadline.call_timeout(95.0) == 5.0
    assert deadline.call_timeout(95.0, cap=2.0) == 2.0
    with pytest.raises(WindowExceeded):
        deadline.call_timeout(100.0)


def test_hard_stop_interrupts_a_hung_socket() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname())
    started = time.monotonic()
    with pytest.raises(WindowExceeded), HardStop(0.3):
        client.recv(1)  # the server never sends: only a signal can end this
    assert time.monotonic() - started < 1.0
    client.close()
    server.close()


def test_shielded_work_finishes_then_the_stop_is_raised() -> None:
    finished = []
    with pytest.raises(WindowExceeded), HardStop(0.1) as stop, stop.shielded():
        time.sleep(0.3)
        finished.append(True)
    assert finished == [True]


def test_previous_timer_is_restored() -> None:
    import signal

    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with HardStop(5):
            pass
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 29 < left <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def test_outside_the_main_thread_the_stop_is_not_armed() -> None:
    seen = []

    def body() -> None:
        with HardStop(0.05) as stop:
            seen.append(stop.armed)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [False]
