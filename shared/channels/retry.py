"""One retry and pacing layer for every channel client's HTTP calls.

`send` makes one call's attempts: it waits the pacer's turn, retries transport errors and 5xx with
jittered exponential backoff (or as Retry-After says), waits out throttling (429, or a body the
client reads as throttled) and gives up after a limit with a retryable ChannelError. A 4xx that
cannot succeed by being sent again is never retried: the client's `read` turns it into the
ChannelError that names the fix. Retry-After is read as seconds or an HTTP date; a wait longer
than `max_retry_after` fails the call (retryably) instead of holding a function for it.

Each client keeps only its pacer (how fast it may send) and its `read` (what an answer means).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, TypeVar

import httpx

from shared.channels.base import ChannelError

logger = logging.getLogger(__name__)

MAX_TRANSIENT_ATTEMPTS = 5
MAX_THROTTLED_RETRIES = 10
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 8.0
MAX_RETRY_AFTER_SECONDS = 120.0  # a channel asking for a longer wait fails the call (retryable)
RETRIED_4XX = frozenset({408, 425})  # a 4xx that may succeed when sent again (429 is throttling)

_T = TypeVar("_T")


class Throttled(Exception):
    """Raised by a client's `read` for an answer that is throttling without saying 429."""


class Pacer(Protocol):
    def wait_turn(self) -> None:
        """Sleep until the next attempt may be sent."""
        ...

    def throttled(self) -> float | None:
        """The channel throttled an attempt: the wait the pacer knows of, or None to back off."""
        ...

    def succeeded(self) -> None:
        """An attempt was answered and read."""
        ...


class Unpaced:
    """A pacer for calls the channel does not limit."""

    def wait_turn(self) -> None:
        return None

    def throttled(self) -> float | None:
        return None

    def succeeded(self) -> None:
        return None


@dataclass(frozen=True)
class Retrying:
    """How one client's calls are retried, and its words for the errors that end them."""

    sleep: Callable[[float], None]
    store_url: str
    unreachable: str  # "could not reach Shopify"
    answered: str  # "Shopify answered"
    lasting_fix: str  # what to check when failures last
    throttler: str  # "Shopify throttled"
    throttled_fix: str  # why throttling lasts, and what to do
    min_throttle_wait: float = 0.0
    max_transient_attempts: int = MAX_TRANSIENT_ATTEMPTS
    max_throttled_retries: int = MAX_THROTTLED_RETRIES
    max_retry_after: float = MAX_RETRY_AFTER_SECONDS


def send(
    attempt: Callable[[], httpx.Response],
    read: Callable[[httpx.Response], _T],
    retrying: Retrying,
    pacer: Pacer | None = None,
) -> _T:
    """Attempt until `read` accepts an answer; `read` raises ChannelError for a refusal and
    Throttled for an answer that asks the client to slow down."""
    pace = pacer or Unpaced()
    counts = _Counts()
    while True:
        pace.wait_turn()
        try:
            response = attempt()
        except httpx.TransportError as error:
            _back_off(retrying, counts.transient(), f"{retrying.unreachable} ({type(error).__name__})", None)
            continue
        status = response.status_code
        if status >= 500 or status in RETRIED_4XX:
            reason = f"{retrying.answered} HTTP {status}"
            _back_off(retrying, counts.transient(), reason, retry_after(response))
            continue
        try:
            if status == 429:
                raise Throttled
            value = read(response)
        except Throttled:
            _wait_out_throttle(retrying, counts.throttle(), pace.throttled(), retry_after(response))
            continue
        pace.succeeded()
        return value


class _Counts:
    def __init__(self) -> None:
        self.transients = 0
        self.throttles = 0

    def transient(self) -> int:
        self.transients += 1
        return self.transients

    def throttle(self) -> int:
        self.throttles += 1
        return self.throttles


def _back_off(retrying: Retrying, failures: int, reason: str, after: float | None) -> None:
    if failures >= retrying.max_transient_attempts:
        raise ChannelError(
            f"{reason} at {retrying.store_url}, {failures} times in a row: nothing was lost, try again "
            f"later; if it lasts, {retrying.lasting_fix}",
            retryable=True,
        )
    delay = _bounded(retrying, after, reason) if after is not None else _jittered(failures)
    logger.warning(
        "%s; retrying in %.2f s (attempt %d of %d)",
        reason,
        delay,
        failures + 1,
        retrying.max_transient_attempts,
    )
    retrying.sleep(delay)


def _wait_out_throttle(retrying: Retrying, throttled: int, paced: float | None, after: float | None) -> None:
    if throttled > retrying.max_throttled_retries:
        raise ChannelError(
            f"{retrying.throttler} {retrying.store_url} {throttled} times in a row: {retrying.throttled_fix}",
            retryable=True,
        )
    if after is not None:
        wait = _bounded(retrying, after, f"{retrying.throttler} the client")
    elif paced is not None:
        wait = paced
    else:
        wait = _jittered(throttled)
    wait = max(retrying.min_throttle_wait, wait)
    logger.info("%s the request; waiting %.2f s", retrying.throttler, wait)
    retrying.sleep(wait)


def _jittered(failures: int) -> float:
    delay: float = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (failures - 1))
    return delay * (0.5 + random.random() / 2)  # jitter, so that shards don't retry in step


def _bounded(retrying: Retrying, after: float, reason: str) -> float:
    if after > retrying.max_retry_after:
        raise ChannelError(
            f"{reason} at {retrying.store_url} and asked to wait {after:.0f} s: try again later",
            retryable=True,
        )
    return after


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, from delay-seconds or an HTTP date (against the answer's Date)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    try:
        now = parsedate_to_datetime(response.headers["Date"])
    except (KeyError, TypeError, ValueError):
        now = datetime.now(UTC)
    return max(0.0, (_aware(moment) - _aware(now)).total_seconds())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
