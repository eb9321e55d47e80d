"""Test doubles shared by the tests."""

from collections.abc import Callable
from typing import Any


class FakeClock:
    """Time for a sandbox's limits and a client's pacing: sleeping moves it on, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class FailingOnce:
    """A call (a boto3 client's method, say) that raises `error` the first time, then is itself."""

    def __init__(self, call: Callable[..., Any], error: Exception) -> None:
        self._call = call
        self._error = error
        self.calls = 0

    def __call__(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise self._error
        return self._call(**kwargs)
