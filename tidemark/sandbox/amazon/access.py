"""Login with Amazon and SP-API's usage plans, as the sandbox enforces them.

- LWA: `POST /auth/o2/token` with a form of `grant_type=refresh_token`, `refresh_token`,
  `client_id`, `client_secret` -> `{access_token, refresh_token, token_type: "bearer", expires_in}`.
  A wrong client is `401 {"error": "invalid_client", ...}`, an unknown refresh token `400
  {"error": "invalid_grant", ...}`, a missing field `400 {"error": "invalid_request", ...}`.
  Access tokens start `Atza|` and last `token_seconds` (3,600 as Amazon's do; tests shorten it).
- A call with no, an unknown or an expired `x-amz-access-token` is 403 `Unauthorized`.
- Usage plans: a token bucket per operation and seller (records.USAGE_PLANS); a call past it is
  429 `QuotaExceeded`; every answer names the plan in `x-amzn-RateLimit-Limit`.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tidemark.sandbox.amazon.records import USAGE_PLANS, SpApiError, UsagePlan, denied


class LwaError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


@dataclass
class Lwa:
    """One application (client id and secret) and the refresh tokens sellers granted it."""

    client_id: str
    client_secret: str
    refresh_tokens: dict[str, str]  # refresh token -> seller id
    clock: Callable[[], float]
    token_seconds: int = 3600
    issued: dict[str, tuple[str, float]] = field(default_factory=dict)  # access token -> seller, expiry
    exchanges: int = 0  # refresh-token exchanges answered with a token
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def exchange(self, form: dict[str, str]) -> dict[str, Any]:
        grant = form.get("grant_type", "")
        if not grant:
            raise LwaError(400, "invalid_request", "The request is missing a required parameter : grant_type")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            raise LwaError(401, "invalid_client", "Client authentication failed")
        if grant != "refresh_token":
            raise LwaError(
                400, "unsupported_grant_type", f"The authorization grant type {grant} is not supported"
            )
        refresh = form.get("refresh_token", "")
        if not refresh:
            raise LwaError(
                400, "invalid_request", "The request is missing a required parameter : refresh_token"
            )
        seller = self.refresh_tokens.get(refresh)
        if seller is None:
            raise LwaError(400, "invalid_grant", "The request has an invalid grant parameter : refresh_token")
        token = "Atza|" + secrets.token_urlsafe(24)
        with self._lock:
            self.issued[token] = (seller, self.clock() + self.token_seconds)
            self.exchanges += 1
        return {
            "access_token": token,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": self.token_seconds,
        }

    def seller_of(self, token: str | None) -> str:
        """The seller an access token acts for; SpApiError 403 when it is missing, unknown or expired."""
        if not token:
            raise SpApiError(
                403, "Unauthorized", "Access to requested resource is denied.", "The access token is missing."
            )
        with self._lock:
            held = self.issued.get(token)
        if held is None:
            raise denied("The access token you provided is revoked, malformed or invalid.")
        seller, expires = held
        if self.clock() >= expires:
            raise denied("The access token you provided has expired.")
        return seller

    def expire_all(self) -> None:
        """Every access token issued so far expires now (an admin action for tests)."""
        with self._lock:
            now = self.clock()
            self.issued = {token: (seller, now) for token, (seller, _) in self.issued.items()}


class UsagePlans:
    """A token bucket per (operation, seller)."""

    def __init__(self, clock: Callable[[], float], plans: dict[str, UsagePlan] | None = None) -> None:
        self.plans = dict(plans or USAGE_PLANS)
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # -> tokens, updated at
        self._lock = threading.Lock()
        self.throttled: dict[str, int] = {}

    def take(self, operation: str, seller: str) -> None:
        """Spend a token of this operation's plan; SpApiError 429 QuotaExceeded when none is left."""
        plan = self.plans[operation]
        with self._lock:
            now = self._clock()
            tokens, updated = self._buckets.get((operation, seller), (float(plan.burst), now))
            tokens = min(float(plan.burst), tokens + (now - updated) * plan.rate)
            if tokens < 1:
                self._buckets[(operation, seller)] = (tokens, now)
                self.throttled[operation] = self.throttled.get(operation, 0) + 1
                raise SpApiError(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")
            self._buckets[(operation, seller)] = (tokens - 1, now)

    def limit_header(self, operation: str) -> str:
        return f"{self.plans[operation].rate:g}"
