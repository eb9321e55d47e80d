"""eBay OAuth: the seller's access token from the refresh token, the app's from client credentials.

Both come from `POST /identity/v1/oauth2/token` with HTTP Basic `client_id:client_secret`. A token
is kept until REFRESH_AHEAD_SECONDS before its `expires_in` runs out, so the client's calls share
it (one client per channel per container, shared/channels/factory.py) and never fetch one per
call; after a 401 errorId 1001 the token is dropped and fetched once more.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from shared.channels.base import ChannelAuthError, ChannelError
from shared.channels.retry import Retrying, send

TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 (a path)
INVENTORY_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.inventory"
FULFILLMENT_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"  # getOrder, for sales
APP_SCOPE = "https://api.ebay.com/oauth/api_scope"
REFRESH_AHEAD_SECONDS = 300.0


class EbayAuthError(ChannelAuthError):
    """A refusal of the credentials, naming the field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class _Held:
    token: str
    expires_at: float


class Tokens:
    def __init__(
        self,
        api_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        http: httpx.Client,
        retrying: Retrying,
        clock: Callable[[], float],
    ) -> None:
        self._url = f"{api_url}{TOKEN_PATH}"
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._headers = {"Authorization": f"Basic {basic}", "Accept": "application/json"}
        self._refresh_token = refresh_token
        self._http = http
        self._retrying = retrying
        self._clock = clock
        self._held: dict[str, _Held] = {}
        self.fetched = 0  # tokens fetched, for tests and figures

    def user(self) -> str:
        """The seller's token for the Inventory API."""
        scope = f"{INVENTORY_SCOPE} {FULFILLMENT_SCOPE}"
        form = {"grant_type": "refresh_token", "refresh_token": self._refresh_token, "scope": scope}
        return self._token("user", form)

    def app(self) -> str:
        """The application's token (getRateLimits, getPublicKey)."""
        return self._token("app", {"grant_type": "client_credentials", "scope": APP_SCOPE})

    def drop(self, which: str) -> None:
        self._held.pop(which, None)

    def _token(self, which: str, form: dict[str, str]) -> str:
        held = self._held.get(which)
        if held is not None and self._clock() < held.expires_at - REFRESH_AHEAD_SECONDS:
            return held.token
        answer = send(
            lambda: self._http.post(self._url, data=form, headers=self._headers), _read, self._retrying
        )
        self.fetched += 1
        token = str(answer["access_token"])
        self._held[which] = _Held(token, self._clock() + float(answer.get("expires_in") or 7200))
        return token


# The token endpoint's errors that a credential explains: the field at fault, and the fix (given
# the error and eBay's description of it).
_REFUSED = {
    "invalid_client": (
        "client_id",
        "eBay refused the app's client id and secret ({error}: {said}): give the App ID and Cert ID "
        "of the keyset for this environment (production or sandbox) with --client-id and --client-secret",
    ),
    "invalid_grant": (
        "refresh_token",
        "eBay refused the refresh token ({error}: {said}): the seller's consent ended or it belongs to "
        "another app; get a new one (the seller signs in and consents again) and pass --refresh-token",
    ),
    "invalid_scope": (
        "refresh_token",
        "eBay did not grant the sell.inventory and sell.fulfillment scopes to this refresh token "
        "({said}): ask the seller to consent with the scopes "
        "https://api.ebay.com/oauth/api_scope/sell.inventory and "
        "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
    ),
}


def _read(response: httpx.Response) -> dict[str, Any]:
    body = _json_object(response)
    if response.status_code == 200 and body.get("access_token"):
        return body
    error = str(body.get("error") or f"HTTP {response.status_code}")
    said = str(body.get("error_description") or "")
    if error in _REFUSED:
        field, fix = _REFUSED[error]
        raise EbayAuthError(field, fix.format(error=error, said=said))
    raise ChannelError(
        f"eBay's token endpoint answered {error}: {said or 'no reason given'}", retryable=False
    )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object; {} for an answer that is not one."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
