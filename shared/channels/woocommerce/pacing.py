"""How fast the WooCommerce client sends: an AIMD limiter that finds a host's limit from its 429s."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable

logger = logging.getLogger(__name__)


# The AIMD limiter: requests a second.
MIN_RATE = 0.2
MAX_RATE = 50.0  # above this the client stops pacing itself
# A host's limit is a token bucket: any steady rate above it is throttled sooner or later, any
# rate under it never is. So the first 429 paces the client a little under what it was sending
# (which the host's burst inflates), each later 429 cuts that by THROTTLE_BACKOFF, and between
# throttles the rate creeps up by about RATE_GROWTH requests a second every second, to find room
# the host made since. Every 429 costs a Retry-After of a second or more: they must stay rare.
FIRST_THROTTLE_SHARE = 0.9
THROTTLE_BACKOFF = 0.85
RATE_GROWTH = 0.01
RATE_WINDOW_SECONDS = 10.0


class AdaptiveRate:
    """How fast the client sends requests: unpaced until a host answers 429, then paced just under
    the host's limit as the 429s reveal it."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.rate: float | None = None  # requests a second; None: not pacing
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque(maxlen=50)

    def wait_turn(self) -> None:
        now = self._clock()
        if self.rate is not None and self._starts:
            due = self._starts[-1] + 1 / self.rate
            if due > now:
                self._sleep(due - now)
                now = self._clock()
        self._starts.append(now)

    def throttled(self) -> float | None:
        """Pace a little under the rate that was throttled; the wait is the retry layer's backoff."""
        if self.rate is None:
            slower = self._observed_rate() * FIRST_THROTTLE_SHARE
        else:
            slower = self.rate * THROTTLE_BACKOFF
        self.rate = max(MIN_RATE, min(slower, MAX_RATE))
        logger.info("WooCommerce's host throttled the client; pacing at %.2f requests a second", self.rate)
        return None

    def succeeded(self) -> None:
        """Additive increase, until the client stops pacing itself."""
        if self.rate is not None:
            self.rate += RATE_GROWTH / self.rate
            if self.rate > MAX_RATE:
                self.rate = None

    def _observed_rate(self) -> float:
        now = self._clock()
        recent = [start for start in self._starts if start >= now - RATE_WINDOW_SECONDS]
        if not recent:
            return MAX_RATE
        return len(recent) / max(now - recent[0], 1.0)
