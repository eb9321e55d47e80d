"""Faults a sandbox store injects on request: into its API answers, and into the webhooks it sends.

Seeded, so a campaign can be replayed; counted by kind, so a report can say what was injected.
Set with `POST /admin/sandbox/faults` (see admin.py) or when the store is built.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

ADMIN_PREFIX = "/admin/sandbox"
API_FAULTS = ("throttle_burst", "server_error", "timeout", "lost_answer")
SHARES = (*API_FAULTS, "webhook_drop", "webhook_duplicate", "webhook_reorder")


@dataclass
class FaultRates:
    """Shares of API requests (0..1) that fail each way, and of webhooks that go astray."""

    server_error: float = 0.0  # answered 500/502/503 without touching the store
    timeout: float = 0.0  # held for `timeout_seconds`, then answered 504 without touching the store
    throttle_burst: float = 0.0  # starts a burst of `burst_length` 429s with Retry-After
    lost_answer: float = 0.0  # applied to the store, then answered 502: the client never learns it worked
    webhook_drop: float = 0.0
    webhook_duplicate: float = 0.0
    webhook_reorder: float = 0.0  # held back and sent after the next webhook
    # A dropped webhook, or one not answered 2xx, is delivered again this long after, as Shopify and
    # WooCommerce retry a failed delivery (up to webhooks.MAX_DELIVERY_ATTEMPTS); 0: never, it is lost.
    webhook_retry_seconds: float = 0.0
    timeout_seconds: float = 2.0
    latency_seconds: float = 0.0  # every API answer waits this long first: a slow store
    burst_length: int = 3
    retry_after_seconds: int = 1

    @classmethod
    def parse(cls, payload: Any) -> FaultRates:
        """From a JSON object; raises ValueError naming the field at fault."""
        if not isinstance(payload, dict):
            raise ValueError('send a JSON object of fault rates, e.g. {"server_error": 0.05}')
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in payload.items():
            if name not in known:
                raise ValueError(f"{name}: not a fault; use one of {', '.join(sorted(known))}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name}: must be a number")
            if name in SHARES and not 0 <= value <= 1:
                raise ValueError(f"{name}: a share of requests, between 0 and 1")
            if value < 0:
                raise ValueError(f"{name}: must be >= 0")
            values[name] = int(value) if known[name].type == "int" else float(value)
        return cls(**values)


@dataclass
class Faults:
    """The store's fault plan and what it injected so far. Thread-safe: the API runs on uvicorn's
    loop while webhooks go out from their own thread."""

    rates: FaultRates = field(default_factory=FaultRates)
    seed: int = 0
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()
        self._burst_left = 0

    def configure(self, rates: FaultRates) -> None:
        with self._lock:
            self.rates = rates
            self._burst_left = 0

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.injected)

    def draw(self, kind: str) -> bool:
        """Whether this request (or webhook) gets fault `kind`; counted when it does."""
        with self._lock:
            share = float(getattr(self.rates, kind))
            hit = share > 0 and self._rng.random() < share
            if hit:
                self.injected[kind] += 1
            return hit

    def error_status(self) -> int:
        with self._lock:
            return self._rng.choice((500, 502, 503))

    def api_fault(self) -> str | None:
        """The fault for one API request, if any: a running 429 burst first, then one draw each."""
        with self._lock:
            if self._burst_left > 0:
                self._burst_left -= 1
                self.injected["throttled"] += 1
                return "throttle_burst"
        for kind in API_FAULTS:
            if self.draw(kind):
                if kind == "throttle_burst":
                    with self._lock:
                        self._burst_left = max(0, self.rates.burst_length - 1)
                        self.injected["throttled"] += 1
                return kind
        return None


class FaultMiddleware:
    """Applies the store's API faults to every request outside the sandbox admin API."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.faults.rates.latency_seconds:
            await asyncio.sleep(self.faults.rates.latency_seconds)
        fault = self.faults.api_fault()
        if fault is None:
            await self.app(scope, receive, send)
        elif fault == "throttle_burst":
            seconds = self.faults.rates.retry_after_seconds
            await JSONResponse(
                {"errors": "Too many requests, retry later"},
                status_code=429,
                headers={"Retry-After": str(seconds)},
            )(scope, receive, send)
        elif fault == "server_error":
            status = self.faults.error_status()
            await JSONResponse({"errors": "Internal error (injected)"}, status_code=status)(
                scope, receive, send
            )
        elif fault == "timeout":
            await asyncio.sleep(self.faults.rates.timeout_seconds)
            answer = JSONResponse({"errors": "Gateway timeout (injected)"}, status_code=504)
            await answer(scope, receive, send)
        else:  # lost_answer: the store applies the request, the client sees a failure

            async def swallow(message: Any) -> None:
                return None

            await self.app(scope, receive, swallow)
            await JSONResponse({"errors": "Bad gateway (injected)"}, status_code=502)(scope, receive, send)
