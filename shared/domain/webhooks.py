"""Webhook signatures: base64 of HMAC-SHA256 over the raw body, keyed with the channel's secret."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def signature_is_valid(secret: str, body: bytes, signature: str | None) -> bool:
    """Constant-time check; a missing signature or secret is never valid."""
    if not signature or not secret:
        return False
    return hmac.compare_digest(sign(secret, body), signature.strip())
