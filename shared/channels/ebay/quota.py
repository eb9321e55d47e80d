"""The app's daily call quota as a pacer of the retry layer (shared/channels/retry.py).

eBay counts every Inventory API call against the app's daily quota (5,000 for a new key) and
answers 429 errorId 2001 past it until the reset. getRateLimits
(`GET /developer/analytics/v1_beta/rate_limit/`, an application token) tells the limit, what is
left and when it resets. The pacer reads it before the first call and whenever its own count says
nothing is left (other containers spend the same quota), counts its calls in between, and then:

- when the quota resets within `max_wait` seconds, waits for the reset (a short wait, never a spin);
- otherwise fails the call, retryably, saying when the quota resets and what to do about it.

A 429 makes it read the limits again: spent, it waits or fails as above; not spent (a burst
limit), the retry layer backs off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.channels.base import ChannelError

logger = logging.getLogger(__name__)

MAX_QUOTA_WAIT_SECONDS = 60.0
UNREAD_RETRY_SECONDS = 60.0  # limits that could not be read are not asked for again sooner


@dataclass(frozen=True)
class Limits:
    limit: int
    remaining: int
    reset_at: float  # epoch seconds


class DailyQuota:
    def __init__(
        self,
        read_limits: Callable[[], Limits | None],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        max_wait: float = MAX_QUOTA_WAIT_SECONDS,
    ) -> None:
        self._read_limits = read_limits
        self._clock = clock
        self._sleep = sleep
        self._max_wait = max_wait
        self.limits: Limits | None = None
        self._remaining: int | None = None
        self._read_again_at = 0.0
        self.waited = 0.0  # seconds spent waiting for resets

    def wait_turn(self) -> None:
        if self._remaining is None and self._clock() >= self._read_again_at:
            self._read()
        if self._remaining == 0:
            self._read()  # others' calls may have been counted, or the quota reset
        while self._remaining == 0 and self.limits is not None:
            self._wait_for_reset(self.limits)
        if self._remaining is not None:
            self._remaining -= 1

    def _wait_for_reset(self, limits: Limits) -> None:
        """Wait for the spent quota's reset, then read the limits again; ChannelError when the reset
        is further off than `max_wait`, or past and the quota still spent."""
        wait = limits.reset_at - self._clock()
        if wait > self._max_wait:
            raise self._spent()
        if wait > 0:
            logger.info("eBay's daily call quota is spent; waiting %.1f s for its reset", wait)
            self._sleep(wait)
            self.waited += wait
        self._read()
        if self._remaining == 0 and self.limits is not None and self.limits.reset_at <= self._clock():
            raise self._spent()  # past the reset and still spent: eBay has not reset it yet

    def throttled(self) -> float | None:
        self._read()
        return 0.0 if self._remaining == 0 else None  # spent: wait_turn waits for the reset or fails

    def succeeded(self) -> None:
        return None

    def _read(self) -> None:
        limits = self._read_limits()
        if limits is None:
            self.limits, self._remaining = None, None
            self._read_again_at = self._clock() + UNREAD_RETRY_SECONDS
            return
        self.limits, self._remaining = limits, max(0, limits.remaining)

    def _spent(self) -> ChannelError:
        assert self.limits is not None
        reset = datetime.fromtimestamp(self.limits.reset_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return ChannelError(
            f"eBay's daily call quota for this app ({self.limits.limit} calls) is used up until {reset}: "
            "nothing was lost, the work runs again after the reset; if it runs out often, ask eBay for a "
            "higher limit (the Application Growth Check)",
            retryable=True,
        )


def parse_limits(body: object) -> Limits | None:
    """The Inventory API's daily rate from getRateLimits' answer, or None when it has none."""
    if not isinstance(body, dict):
        return None
    for rate in _inventory_rates(body):
        try:
            reset = datetime.fromisoformat(str(rate["reset"]).replace("Z", "+00:00"))
            return Limits(int(rate["limit"]), int(rate["remaining"]), reset.timestamp())
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _inventory_rates(body: dict[str, Any]) -> Iterator[Any]:
    """The rates getRateLimits' answer gives for the Inventory API's resources, as it gives them."""
    for api in body.get("rateLimits") or []:
        if not isinstance(api, dict) or api.get("apiName") != "inventory":
            continue
        for resource in api.get("resources") or []:
            yield from resource.get("rates") or [] if isinstance(resource, dict) else []
