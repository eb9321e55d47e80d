"""Webhooks a sandbox store sends, signed as its channel signs them, from background threads so
that the store's API never waits on the receiver. Drops, duplicates and reorders on request.

As Shopify and WooCommerce do, a store has several deliveries in flight at once (SENDER_WORKERS
posting threads) and keeps no order among them; one dispatching thread draws the faults and keeps
the retries. `backlog()` says what waits to be sent (the sandbox admin API shows it)."""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.domain.webhooks import sign
from tidemark.sandbox.faults import Faults

log = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 8  # a failed delivery is tried again up to this many times in all (Shopify's 8)
SENDER_WORKERS = 4  # deliveries a store has in flight at once

# The channel's own headers for one webhook: (topic, body, signature) -> headers.
HeaderMaker = Callable[[str, bytes, str], Mapping[str, str]]
# Headers that differ on each delivery of a webhook, duplicates included (Shopify's X-Shopify-Webhook-Id).
DeliveryHeaderMaker = Callable[[], Mapping[str, str]]

_serials = itertools.count()


@dataclass(frozen=True)
class Delivery:
    topic: str
    body: bytes
    headers: Mapping[str, str]
    serial: int = field(default_factory=lambda: next(_serials))


@dataclass
class Sent:
    """One delivery attempt as the receiver saw it."""

    topic: str
    status: int | None  # None: not answered (the receiver was unreachable)
    duplicate: bool = False
    attempt: int = 1  # > 1: delivered again after a drop or a failed delivery


@dataclass(frozen=True)
class _Post:
    delivery: Delivery
    attempt: int
    duplicate: bool
    waiting_since: float  # queued (or due again, for a retry)


@dataclass(frozen=True)
class _Posted:
    """A post ended: `retry` when it was not answered 2xx and may be tried again."""

    post: _Post
    retry: bool


class WebhookSender:
    """Posts each webhook to `url` once (at least once when the faults duplicate it); several at
    once, so in no particular order, and later than the next one when the faults reorder it. With
    the faults' `webhook_retry_seconds`, a webhook dropped or not answered 2xx is posted again that
    long after. `flush()` waits until everything queued went out, retries included.

    `make_headers` is called once per webhook, when it is sent, so that its duplicates carry the same
    headers; `delivery_headers`, if given, once per delivery, and overrides them."""

    def __init__(
        self,
        url: str,
        secret: str,
        make_headers: HeaderMaker,
        faults: Faults,
        delivery_headers: DeliveryHeaderMaker | None = None,
    ) -> None:
        self.url = url
        self._secret = secret
        self._make_headers = make_headers
        self._delivery_headers = delivery_headers
        self._faults = faults
        # the dispatcher's inbox: a Delivery to send, a _Posted, an Event to set once everything
        # before it went out, or None: stop
        self._inbox: queue.Queue[Delivery | _Posted | threading.Event | None] = queue.Queue()
        self._posts: queue.Queue[_Post | None] = queue.Queue()
        self._held: Delivery | None = None  # a reordered delivery, sent after the next one
        self._retries: list[tuple[float, int, int, Delivery]] = []  # (due, tie, attempt, delivery) heap
        self._tie = itertools.count()
        self._flushes: list[threading.Event] = []  # set once nothing is queued, in flight or retried
        self._outstanding = 0  # posts handed to the workers and not yet ended (the dispatcher's count)
        self._lock = threading.Lock()
        self._waiting: dict[int, float] = {}  # delivery serial -> since when, not yet being posted
        self._flying: dict[int, float] = {}  # post number -> since when its delivery waited
        self._numbers = itertools.count()
        self.sent: list[Sent] = []
        self._workers = SENDER_WORKERS
        self._http = httpx.Client(
            timeout=httpx.Timeout(10.0, connect=2.0), limits=httpx.Limits(max_connections=self._workers)
        )
        self._threads = [threading.Thread(target=self._dispatch, name="sandbox-webhooks", daemon=True)]
        self._threads += [
            threading.Thread(target=self._work, name=f"sandbox-webhooks-{n}", daemon=True)
            for n in range(self._workers)
        ]
        for thread in self._threads:
            thread.start()

    def send(
        self, topic: str, payload: Mapping[str, Any] | bytes, content_type: str = "application/json"
    ) -> None:
        """A JSON payload, or a body already made (eBay's SOAP)."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
        headers = dict(self._make_headers(topic, body, sign(self._secret, body)))
        headers["Content-Type"] = content_type
        delivery = Delivery(topic, body, headers)
        with self._lock:
            self._waiting[delivery.serial] = time.monotonic()
        self._inbox.put(delivery)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued webhook was posted (a held reordered one goes out too)."""
        done = threading.Event()
        self._inbox.put(done)
        if not done.wait(timeout):
            raise TimeoutError(f"webhooks to {self.url} were not all sent within {timeout} s")

    def backlog(self) -> dict[str, float | int]:
        """What waits: webhooks queued and not yet being posted, posts in flight, webhooks waiting
        for a retry, the age of the oldest queued or in flight (0 with none), and posts made."""
        with self._lock:
            since = [*self._waiting.values(), *self._flying.values()]
            queued, in_flight, sent = len(self._waiting), len(self._flying), len(self.sent)
        return {
            "queued": queued,
            "in_flight": in_flight,
            "retrying": len(self._retries),
            "oldest_s": round(time.monotonic() - min(since), 3) if since else 0.0,
            "sent": sent,
        }

    def close(self) -> None:
        self._inbox.put(None)
        for thread in self._threads:
            thread.join(5.0)
        self._http.close()

    def _dispatch(self) -> None:
        while True:
            try:
                item = self._inbox.get(timeout=self._until_next_retry())
            except queue.Empty:
                self._retry_due()
                continue
            if item is None:
                for _ in range(self._workers):
                    self._posts.put(None)
                return
            if isinstance(item, threading.Event):
                if self._held is not None:
                    self._hand_out(self._held)
                    self._held = None
                self._flushes.append(item)
            elif isinstance(item, _Posted):
                self._outstanding -= 1
                if item.retry:
                    self._retry_later(item.post.delivery, item.post.attempt)
            else:
                self._take(item)
            self._retry_due()

    def _take(self, delivery: Delivery) -> None:
        """A new webhook: dropped (to be retried), held back (reordered), or handed out."""
        if self._faults.draw("webhook_drop"):
            self._forget(delivery)
            self._retry_later(delivery, 1)
        elif self._held is None and self._faults.draw("webhook_reorder"):
            self._held = delivery
        else:
            self._hand_out(delivery)
            if self._faults.draw("webhook_duplicate"):
                self._hand_out(delivery, duplicate=True)
            if self._held is not None:
                self._hand_out(self._held)
                self._held = None

    def _hand_out(self, delivery: Delivery, *, duplicate: bool = False, attempt: int = 1) -> None:
        with self._lock:
            since = self._waiting.get(delivery.serial, time.monotonic())
        self._outstanding += 1
        self._posts.put(_Post(delivery, attempt, duplicate, since))

    def _forget(self, delivery: Delivery) -> None:
        with self._lock:
            self._waiting.pop(delivery.serial, None)

    def _until_next_retry(self) -> float | None:
        return max(0.0, self._retries[0][0] - time.monotonic()) if self._retries else None

    def _retry_later(self, delivery: Delivery, attempt: int) -> None:
        delay = self._faults.rates.webhook_retry_seconds
        if delay > 0 and attempt < MAX_DELIVERY_ATTEMPTS:
            heapq.heappush(self._retries, (time.monotonic() + delay, next(self._tie), attempt + 1, delivery))

    def _retry_due(self) -> None:
        while self._retries and self._retries[0][0] <= time.monotonic():
            _, _, attempt, delivery = heapq.heappop(self._retries)
            with self._lock:
                self._waiting[delivery.serial] = time.monotonic()
            self._hand_out(delivery, attempt=attempt)
        if not self._retries and not self._outstanding and self._held is None:
            for flushed in self._flushes:
                flushed.set()
            self._flushes.clear()

    def _work(self) -> None:
        while (post := self._posts.get()) is not None:
            number = next(self._numbers)
            with self._lock:
                if not post.duplicate:
                    self._waiting.pop(post.delivery.serial, None)
                self._flying[number] = post.waiting_since
            try:
                status = self._post(post.delivery, duplicate=post.duplicate, attempt=post.attempt)
            finally:
                with self._lock:
                    del self._flying[number]
            failed = status is None or not 200 <= status < 300
            self._inbox.put(_Posted(post, retry=failed and not post.duplicate))

    def _post(self, delivery: Delivery, *, duplicate: bool = False, attempt: int = 1) -> int | None:
        """One delivery attempt; the receiver's status, None when it did not answer."""
        headers = dict(delivery.headers)
        if self._delivery_headers is not None:
            headers.update(self._delivery_headers())
        try:
            status: int | None = self._http.post(self.url, content=delivery.body, headers=headers).status_code
        except httpx.HTTPError as error:
            log.warning("webhook %s to %s not delivered: %s", delivery.topic, self.url, error)
            status = None
        with self._lock:
            self.sent.append(Sent(delivery.topic, status, duplicate, attempt))
        return status
