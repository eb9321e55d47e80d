"""Shopify's cost bucket: every call waits until the bucket, as last reported, holds its cost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BucketStatus:
    """The last throttle status Shopify reported, and when."""

    maximum: float
    available: float
    restore_rate: float
    observed_at: float

    def available_at(self, now: float) -> float:
        return min(self.maximum, self.available + (now - self.observed_at) * self.restore_rate)


class CostBucket:
    """Shopify's cost bucket as last reported: calls wait until it holds their cost."""

    def __init__(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> None:
        self.clock = clock
        self.sleep = sleep
        self.status: BucketStatus | None = None

    def remember(self, body: Any) -> None:
        status = (
            (body.get("extensions") or {}).get("cost", {}).get("throttleStatus")
            if isinstance(body, dict)
            else None
        )
        if not status:
            return
        self.status = BucketStatus(
            maximum=float(status["maximumAvailable"]),
            available=float(status["currentlyAvailable"]),
            restore_rate=float(status["restoreRate"]),
            observed_at=self.clock(),
        )

    def for_cost(self, cost: int) -> CostPacer:
        return CostPacer(self, cost)


@dataclass(frozen=True)
class CostPacer:
    """The pacer of one call of `cost` points."""

    bucket: CostBucket
    cost: int

    def wait_turn(self) -> None:
        """Sleep just long enough for the bucket to hold the cost, as far as we know it."""
        status = self.bucket.status
        if status is None or status.restore_rate <= 0:
            return
        missing = self.cost - status.available_at(self.bucket.clock())
        if missing > 0:
            self.bucket.sleep(missing / status.restore_rate)

    def throttled(self) -> float | None:
        """Until the bucket Shopify reported holds the cost (the retry layer waits 1 s at least)."""
        status = self.bucket.status
        if status is None or status.restore_rate <= 0:
            return 0.0
        return (self.cost - status.available) / status.restore_rate

    def succeeded(self) -> None:
        return None
