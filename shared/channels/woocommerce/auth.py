"""How the WooCommerce client authenticates, as WooCommerce documents it: HTTP Basic with the consumer
key and secret over HTTPS; over plain HTTP, OAuth 1.0a one-legged, signed by oauthlib (HMAC-SHA256)
with the parameters in the query string, a fresh nonce and timestamp for every attempt."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
from oauthlib.oauth1 import (  # type: ignore[import-untyped]
    SIGNATURE_HMAC_SHA256,
    SIGNATURE_TYPE_QUERY,
)
from oauthlib.oauth1 import Client as OAuth1Client


class Signer:
    """WooCommerce reads Basic credentials only over HTTPS; over HTTP it wants OAuth 1.0a."""

    def __init__(self, store_url: str, key: str, secret: str) -> None:
        self._basic: httpx.BasicAuth | None = None
        self._oauth: OAuth1Client | None = None
        if urlsplit(store_url).scheme == "https":
            self._basic = httpx.BasicAuth(key, secret)
        else:
            self._oauth = OAuth1Client(
                key,
                client_secret=secret,
                signature_method=SIGNATURE_HMAC_SHA256,
                signature_type=SIGNATURE_TYPE_QUERY,
            )

    def signed(self, method: str, url: str, params: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
        """The URL to send and httpx's extra arguments: Basic auth, or an OAuth-signed query
        (signed again on every attempt: WooCommerce refuses a nonce it has seen)."""
        if self._basic is not None:
            return url, {"params": params, "auth": self._basic}
        assert self._oauth is not None
        full = str(httpx.URL(url, params=params)) if params else url
        signed_url, _, _ = self._oauth.sign(full, http_method=method)
        return str(signed_url), {}
