"""Who may call: WooCommerce's authentication (OAuth 1.0a, Basic, key permissions) and the host's
rate limit."""

from __future__ import annotations

import hmac
import threading
from base64 import b64decode
from binascii import Error as BinasciiError
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from oauthlib.common import Request as OAuthRequest  # type: ignore[import-untyped]
from oauthlib.oauth1.rfc5849 import signature as oauth_signature  # type: ignore[import-untyped]
from starlette.requests import Request

from tidemark.sandbox.woocommerce.records import OAUTH_REQUIRED, OAUTH_WINDOW_SECONDS, WooError

# ---------------------------------------------------------------------------------------------
# Authentication and the host's rate limit


class TokenBucket:
    """`rate` requests a second, bursts of up to one second's worth (at least one request)."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self._clock = clock
        self._updated_at = clock()
        self._lock = threading.Lock()

    def take(self) -> float | None:
        """Take a token; None when one was there, else the seconds until one will be."""
        with self._lock:
            now = self._clock()
            self.tokens = min(self.capacity, self.tokens + (now - self._updated_at) * self.rate)
            self._updated_at = now
            if self.tokens >= 1:
                self.tokens -= 1
                return None
            return (1 - self.tokens) / self.rate


@dataclass
class Credentials:
    key: str
    secret: str
    permissions: str  # read | write | read_write
    wall_clock: Callable[[], float]
    nonces: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def authenticate(self, request: Request) -> WooError | bool:
        """WC_REST_Authentication::authenticate: True for the key's user, False for nobody (the
        route then refuses), or the error WooCommerce sets."""
        basic = _basic_credentials(request.headers.get("authorization", ""))
        if basic is not None:
            key, secret = basic
            if hmac.compare_digest(key.encode(), self.key.encode()):
                if hmac.compare_digest(secret.encode(), self.secret.encode()):
                    return True
                return _auth_error("Consumer secret is invalid.")
            # an unknown key: not authenticated by Basic, WooCommerce goes on to OAuth
        return self._oauth(request)

    def _oauth(self, request: Request) -> WooError | bool:
        # PHP's $_GET: the last of duplicated parameters wins (the official Python client sends
        # its query twice: in the signed URL and again as `params`)
        params = dict(parse_qsl(request.url.query, keep_blank_values=True))
        present = [name for name in OAUTH_REQUIRED if params.get(name)]
        if not present:
            return False
        missing = [name for name in OAUTH_REQUIRED if not params.get(name)]
        if missing:
            plural = "parameters" if len(missing) > 1 else "parameter"
            return WooError(
                401,
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth {plural} {', '.join(missing)}",
            )
        if not hmac.compare_digest(params["oauth_consumer_key"].encode(), self.key.encode()):
            return _auth_error("Consumer key is invalid.")
        method = params["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return _auth_error("Invalid signature - signature method is invalid.")
        signed = OAuthRequest(str(request.url), request.method, "", {})
        signed.signature = params["oauth_signature"].replace(" ", "+")
        signed.params = [(name, value) for name, value in params.items() if name != "oauth_signature"]
        verify = (
            oauth_signature.verify_hmac_sha1 if method == "HMAC-SHA1" else oauth_signature.verify_hmac_sha256
        )
        if not verify(signed, client_secret=self.secret):
            return _auth_error("Invalid signature - provided signature does not match.")
        return self._check_timestamp_and_nonce(params["oauth_timestamp"], params["oauth_nonce"])

    def _check_timestamp_and_nonce(self, raw_timestamp: str, nonce: str) -> WooError | bool:
        now = self.wall_clock()
        try:
            timestamp = float(raw_timestamp)
        except ValueError:
            return _auth_error("Invalid timestamp.")
        if not now - OAUTH_WINDOW_SECONDS <= timestamp <= now + OAUTH_WINDOW_SECONDS:
            return _auth_error("Invalid timestamp.")
        with self.lock:
            if nonce in self.nonces:
                return _auth_error("Invalid nonce - nonce has already been used.")
            self.nonces[nonce] = timestamp
            for used, at in list(self.nonces.items()):
                if at < now - OAUTH_WINDOW_SECONDS:
                    del self.nonces[used]
        return True

    def allows(self, method: str) -> WooError | None:
        """WC_REST_Authentication::check_permissions: the key's read / write permission."""
        if method in ("GET", "HEAD") and self.permissions not in ("read", "read_write"):
            return _auth_error("The API key provided does not have read permissions.")
        if method in ("POST", "PUT", "PATCH", "DELETE") and self.permissions not in ("write", "read_write"):
            return _auth_error("The API key provided does not have write permissions.")
        return None


def _auth_error(message: str) -> WooError:
    return WooError(401, "woocommerce_rest_authentication_error", message)


def _basic_credentials(header: str) -> tuple[str, str] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = b64decode(encoded.strip(), validate=True).decode()
    except (BinasciiError, UnicodeDecodeError):
        return None
    key, separator, secret = decoded.partition(":")
    return (key, secret) if separator and key and secret else None
