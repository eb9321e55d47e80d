"""Waiting in tests for what happens elsewhere (a worker, a poller, a sandbox's webhook): a check
polled until it holds, failed with what did not hold."""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(check: Callable[[], bool], timeout: float = 45.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    assert check(), f"{what} did not hold within {timeout} s"
