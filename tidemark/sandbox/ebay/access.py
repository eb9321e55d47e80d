"""eBay's OAuth token endpoint and the app's daily call quota, as the sandbox keeps them.

- `POST /identity/v1/oauth2/token`, HTTP Basic `client_id:client_secret`, a form body:
  `grant_type=refresh_token&refresh_token=..&scope=..` (the user's token, for the Inventory API) or
  `grant_type=client_credentials&scope=https://api.ebay.com/oauth/api_scope` (the application's, for
  getPublicKey). Answers `{access_token, expires_in, token_type}`; refusals are OAuth's own shape,
  `{"error": "invalid_client" | "invalid_grant" | "invalid_scope" | "unsupported_grant_type",
  "error_description": ..}` (401 for the client, 400 for the rest).
- An access token lasts `token_seconds` (eBay: 7,200; tests shorten it); past it, or unknown, a call
  is answered 401 errorId 1001.
- The daily quota: `limit` calls of the Inventory API a window (eBay: a calendar day, 5,000 for a new
  key); past it 429 errorId 2001 until the window resets. `GET /developer/analytics/v1_beta/rate_limit/`
  shows it (that call is not counted, as the Analytics API has its own quota).
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tidemark.sandbox.ebay.records import (
    APP_SCOPE,
    FULFILLMENT_SCOPE,
    INVENTORY_SCOPE,
    access_denied,
    invalid_token,
    quota_spent,
)

DAY_SECONDS = 86_400


class OAuthRefusal(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.body = {"error": error, "error_description": description}


@dataclass
class _Token:
    expires_at: float
    scopes: frozenset[str]


@dataclass
class OAuth:
    """The app's keys, the seller's refresh token, and the access tokens issued."""

    client_id: str
    client_secret: str
    refresh_token: str
    token_seconds: int = 7200
    wall_clock: Callable[[], float] = time.time
    issued: int = 0
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def grant(self, authorization: str | None, form: dict[str, str]) -> dict[str, Any]:
        """The token endpoint's answer; OAuthRefusal as eBay refuses."""
        if not self._client_ok(authorization):
            raise OAuthRefusal(401, "invalid_client", "client authentication failed")
        grant_type = form.get("grant_type", "")
        requested = frozenset((form.get("scope") or "").split())
        if grant_type == "refresh_token":
            if form.get("refresh_token") != self.refresh_token:
                raise OAuthRefusal(
                    400,
                    "invalid_grant",
                    "the provided authorization refresh token is invalid or was issued to another client",
                )
            allowed = frozenset({APP_SCOPE, INVENTORY_SCOPE, FULFILLMENT_SCOPE})
            token_type = "User Access Token"  # noqa: S105 (a token type, not a secret)
        elif grant_type == "client_credentials":
            allowed = frozenset({APP_SCOPE})
            token_type = "Application Access Token"  # noqa: S105
        else:
            raise OAuthRefusal(
                400,
                "unsupported_grant_type",
                "grant type in request is not supported by the authorization server",
            )
        scopes = requested or allowed
        if not scopes <= allowed:
            raise OAuthRefusal(
                400,
                "invalid_scope",
                "The requested scope is invalid, unknown, malformed, or exceeds the scope granted to the "
                "client",
            )
        token = f"v^1.1#i^1#p^3#r^1#I^3#t^{secrets.token_urlsafe(48)}"
        with self._lock:
            self.issued += 1
            self._tokens[token] = _Token(self.wall_clock() + self.token_seconds, scopes)
        return {"access_token": token, "expires_in": self.token_seconds, "token_type": token_type}

    def check(self, authorization: str | None, scope: str) -> None:
        """EbayError 401 for a missing, unknown or expired bearer token, 403 for one without `scope`."""
        if not authorization or not authorization.startswith("Bearer "):
            raise invalid_token()
        with self._lock:
            token = self._tokens.get(authorization.removeprefix("Bearer ").strip())
        if token is None or token.expires_at <= self.wall_clock():
            raise invalid_token()
        if scope not in token.scopes:
            raise access_denied()

    def _client_ok(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(authorization.removeprefix("Basic ").strip(), validate=True).decode()
        except ValueError:
            return False
        client_id, _, client_secret = decoded.partition(":")
        return secrets.compare_digest(client_id, self.client_id) and secrets.compare_digest(
            client_secret, self.client_secret
        )


@dataclass
class DailyQuota:
    """Calls of the Inventory API the app may make a window; the window starts at the first call."""

    limit: int = 5000
    window_seconds: int = DAY_SECONDS
    wall_clock: Callable[[], float] = time.time
    count: int = 0
    refused: int = 0
    _window_start: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> None:
        """Count one call; EbayError 429 once the window's calls are spent."""
        with self._lock:
            self._roll()
            if self.count >= self.limit:
                self.refused += 1
                raise quota_spent()
            self.count += 1

    def _roll(self) -> None:
        now = self.wall_clock()
        if self._window_start is None or now >= self._window_start + self.window_seconds:
            self._window_start = now if self.window_seconds != DAY_SECONDS else now - now % DAY_SECONDS
            self.count = 0

    def view(self) -> dict[str, Any]:
        """getRateLimits' answer for the Inventory API."""
        with self._lock:
            self._roll()
            assert self._window_start is not None
            reset = datetime.fromtimestamp(self._window_start + self.window_seconds, UTC)
            rate = {
                "count": self.count,
                "limit": self.limit,
                "remaining": max(0, self.limit - self.count),
                "reset": reset.strftime("%Y-%m-%dT%H:%M:%S.") + f"{reset.microsecond // 1000:03d}Z",
                "timeWindow": self.window_seconds,
            }
        return {
            "rateLimits": [
                {
                    "apiContext": "sell",
                    "apiName": "inventory",
                    "apiVersion": "v1",
                    "resources": [{"name": "sell.inventory", "rates": [rate]}],
                }
            ]
        }
