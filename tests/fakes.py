"""Test doubles shared by the channel client tests."""


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
