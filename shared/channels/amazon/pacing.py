"""How fast the Amazon client sends each operation: SP-API's usage plans are token buckets per
operation and seller, so the client keeps the same bucket (the documented rate and burst) and waits
for a token before each attempt. The rate is corrected from `x-amzn-RateLimit-Limit`, which names
the plan applied to this seller and application; after a 429 the bucket is emptied, so the next
attempt waits a whole token's time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

# The default usage plans (rate a second, burst) of the operations the client calls.
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "searchListingsItems": (5.0, 5),
    "getListingsItem": (5.0, 10),
    "patchListingsItem": (5.0, 5),
    "createFeedDocument": (0.5, 15),
    "createFeed": (0.0083, 15),
    "getFeed": (2.0, 15),
    "getFeedDocument": (0.0222, 10),
    "getOrder": (0.5, 30),
}
# Waited past each token's due time: Amazon's bucket is measured on another clock, and an attempt
# sent on the dot may find it a hair short of a token.
MARGIN_SECONDS = 0.005


@dataclass
class TokenBucket:
    """A Pacer (shared/channels/retry.py) for one operation. Thread-safe: the channel's pooled client
    may be used by several of the container's threads."""

    rate: float
    burst: int
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._at = self.clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds slept for tokens so far

    def wait_turn(self) -> None:
        with self._lock:
            self._refill()
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate + MARGIN_SECONDS
                self.sleep(wait)
                self.waited += wait
                self._refill()
            self._tokens -= 1

    def throttled(self) -> float | None:
        """Amazon's bucket was empty after all (another app of the seller's, a clock apart): empty
        ours, and wait for one token."""
        with self._lock:
            self._tokens = 0.0
            self._at = self.clock()
            return 1 / self.rate

    def succeeded(self) -> None:
        return None

    def observe(self, limit: str | None) -> None:
        """The rate Amazon says this seller has for the operation."""
        try:
            rate = float(limit) if limit else None
        except ValueError:
            return
        if rate and rate > 0:
            with self._lock:
                self.rate = rate

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now


def buckets(clock: Callable[[], float], sleep: Callable[[float], None]) -> dict[str, TokenBucket]:
    return {name: TokenBucket(rate, burst, clock, sleep) for name, (rate, burst) in USAGE_PLANS.items()}
