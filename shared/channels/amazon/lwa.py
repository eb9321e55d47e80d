"""The Login with Amazon access token of one channel: exchanged from the refresh token once, kept
and shared by every call of the client, refreshed REFRESH_AHEAD_SECONDS before it expires (never
fetched per call), and once more when SP-API says it expired (a clock apart, or revoked)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx

from shared.channels.base import ChannelAuthError, ChannelError
from shared.channels.retry import Retrying, send

DEFAULT_LWA_URL = "https://api.amazon.com/auth/o2/token"
REFRESH_AHEAD_SECONDS = 300.0  # a 1-hour token is replaced after 55 minutes

# LWA's error -> the connection field at fault and the fix
_FIXES = {
    "invalid_client": (
        "client_secret",
        "Amazon refused the LWA client id or secret: copy them again from Seller Central "
        "(Apps and Services > Develop Apps > View credentials) and pass --client-id and --client-secret",
    ),
    "invalid_grant": (
        "refresh_token",
        "Amazon refused the refresh token (revoked, of another app, or mistyped): authorize the "
        "app again in Seller Central and pass the new --refresh-token",
    ),
    "unauthorized_client": (
        "client_id",
        "Amazon says this app may not use the refresh-token grant: check the app's "
        "registration in Seller Central",
    ),
}


class AccessToken:
    def __init__(
        self,
        http: httpx.Client,
        url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        retrying: Retrying,
        clock: Callable[[], float],
    ) -> None:
        self._http = http
        self._url = url
        self._form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._retrying = retrying
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.exchanges = 0  # refresh-token exchanges made

    def current(self) -> str:
        """The access token, exchanged anew when none is held or it expires within REFRESH_AHEAD."""
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - REFRESH_AHEAD_SECONDS:
                self._token, lifetime = self._exchange()
                self._expires_at = self._clock() + lifetime
            return self._token

    def expired(self, token: str) -> None:
        """SP-API refused `token` as expired: the next `current()` exchanges a new one."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _exchange(self) -> tuple[str, float]:
        def attempt() -> httpx.Response:
            return self._http.post(self._url, data=self._form, headers={"Accept": "application/json"})

        def read(response: httpx.Response) -> tuple[str, float]:
            body = _json(response)
            if response.status_code >= 400:
                error = str(body.get("error", ""))
                fix = _FIXES.get(error)
                if fix is not None:
                    raise ChannelAuthError(fix[1], field=fix[0])
                raise ChannelError(
                    f"Login with Amazon answered HTTP {response.status_code} ({error or 'no error code'}: "
                    f"{body.get('error_description', '')}): check the LWA endpoint {self._url}",
                    retryable=False,
                    field="lwa_url",
                )
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise ChannelError(
                    f"Login with Amazon at {self._url} answered without an access token: "
                    "check the LWA endpoint",
                    retryable=True,
                )
            lifetime = body.get("expires_in")
            return token, float(lifetime) if isinstance(lifetime, int | float) else 3600.0

        token = send(attempt, read, self._retrying)
        self.exchanges += 1
        return token


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
