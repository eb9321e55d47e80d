"""Webhooks a sandbox store sends, signed as its channel signs them, from a background thread so
that the store's API never waits on the receiver. Drops, duplicates and reorders on request."""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from shared.domain.webhooks import sign
from tidemark.sandbox.faults import Faults

log = logging.getLogger(__name__)

MAX_DELIVERY_ATTEMPTS = 8  # a failed delivery is tried again up to this many times in all (Shopify's 8)

# The channel's own headers for one webhook: (topic, body, signature) -> headers.
HeaderMaker = Callable[[str, bytes, str], Mapping[str, str]]
# Headers that differ on each delivery of a webhook, duplicates included (Shopify's X-Shopify-Webhook-Id).
DeliveryHeaderMaker = Callable[[], Mapping[str, str]]


@dataclass(frozen=True)
class Delivery:
    topic: str
    body: bytes
    headers: Mapping[str, str]


@dataclass
class Sent:
    """One delivery attempt as the receiver saw it."""

    topic: str
    status: int | None  # None: not answered (the receiver was unreachable)
    duplicate: bool = False
    attempt: int = 1  # > 1: delivered again after a drop or a failed delivery


class WebhookSender:
    """Posts each webhook to `url` once (at least once when the faults duplicate it), in order
    unless the faults reorder it. With the faults' `webhook_retry_seconds`, a webhook dropped or not
    answered 2xx is posted again that long after. `flush()` waits until everything queued went out,
    retries included.

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
        # a Delivery to post, an Event to set once everything before it went out, or None: stop
        self._queue: queue.Queue[Delivery | threading.Event | None] = queue.Queue()
        self._held: Delivery | None = None  # a reordered delivery, sent after the next one
        self._retries: list[tuple[float, int, int, Delivery]] = []  # (due, tie, attempt, delivery) heap
        self._tie = itertools.count()
        self._flushes: list[threading.Event] = []  # set once no retry is left
        self.sent: list[Sent] = []
        self._http = httpx.Client(timeout=httpx.Timeout(10.0, connect=2.0))
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def send(self, topic: str, payload: Mapping[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = dict(self._make_headers(topic, body, sign(self._secret, body)))
        headers["Content-Type"] = "application/json"
        self._queue.put(Delivery(topic, body, headers))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued webhook was posted (a held reordered one goes out too)."""
        done = threading.Event()
        self._queue.put(done)
        if not done.wait(timeout):
            raise TimeoutError(f"webhooks to {self.url} were not all sent within {timeout} s")

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(5.0)
        self._http.close()

    def _run(self) -> None:
        while True:
            try:
                delivery = self._queue.get(timeout=self._until_next_retry())
            except queue.Empty:
                self._retry_due()
                continue
            if delivery is None:
                return
            if isinstance(delivery, threading.Event):
                if self._held is not None:
                    self._post(self._held)
                    self._held = None
                self._flushes.append(delivery)
            elif self._faults.draw("webhook_drop"):
                self._retry_later(delivery, 1)
            elif self._held is None and self._faults.draw("webhook_reorder"):
                self._held = delivery
            else:
                self._post(delivery)
                if self._faults.draw("webhook_duplicate"):
                    self._post(delivery, duplicate=True)
                if self._held is not None:
                    self._post(self._held)
                    self._held = None
            self._retry_due()

    def _until_next_retry(self) -> float | None:
        return max(0.0, self._retries[0][0] - time.monotonic()) if self._retries else None

    def _retry_later(self, delivery: Delivery, attempt: int) -> None:
        delay = self._faults.rates.webhook_retry_seconds
        if delay > 0 and attempt < MAX_DELIVERY_ATTEMPTS:
            heapq.heappush(self._retries, (time.monotonic() + delay, next(self._tie), attempt + 1, delivery))

    def _retry_due(self) -> None:
        while self._retries and self._retries[0][0] <= time.monotonic():
            _, _, attempt, delivery = heapq.heappop(self._retries)
            self._post(delivery, attempt=attempt)
        if not self._retries:
            for flushed in self._flushes:
                flushed.set()
            self._flushes.clear()

    def _post(self, delivery: Delivery, *, duplicate: bool = False, attempt: int = 1) -> None:
        headers = dict(delivery.headers)
        if self._delivery_headers is not None:
            headers.update(self._delivery_headers())
        try:
            status: int | None = self._http.post(self.url, content=delivery.body, headers=headers).status_code
        except httpx.HTTPError as error:
            log.warning("webhook %s to %s not delivered: %s", delivery.topic, self.url, error)
            status = None
        self.sent.append(Sent(delivery.topic, status, duplicate, attempt))
        if not duplicate and (status is None or not 200 <= status < 300):
            self._retry_later(delivery, attempt)
