"""eBay's Notification API at our door: the endpoint's challenge, and each post's signature.

- The challenge: eBay validates a destination with `GET <endpoint>?challenge_code=X` and wants
  `{"challengeResponse": hex(SHA-256(challenge_code + verification_token + endpoint))}`, the
  endpoint being the URL exactly as it was registered.
- A post carries `X-EBAY-SIGNATURE`: base64 of `{"alg": "ecdsa", "kid": "..", "signature":
  "<base64 DER>", "digest": "SHA1"}`. The signature is ECDSA (P-256) over the body as sent, with the
  digest named; the key is getPublicKey's (`GET /commerce/notification/v1/public_key/{kid}`, an
  application token), a PEM whose lines eBay may run together. Keys are cached by kid (eBay
  rotates them seldom).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

SIGNATURE_HEADER = "x-ebay-signature"
_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----(?P<body>.*?)-----END PUBLIC KEY-----", re.DOTALL)
_DIGESTS = {"SHA1", "SHA256"}


@dataclass(frozen=True)
class Signature:
    kid: str
    der: bytes
    digest: str  # SHA1 (what eBay sends) or SHA256


def challenge_response(challenge_code: str, verification_token: str, endpoint: str) -> str:
    return hashlib.sha256((challenge_code + verification_token + endpoint).encode()).hexdigest()


def parse_signature(header: str | None) -> Signature | None:
    """The header's parts; None for a header missing or not of eBay's shape."""
    if not header:
        return None
    try:
        decoded = json.loads(base64.b64decode(header.strip().encode("ascii"), validate=True))
        der = base64.b64decode(str(decoded["signature"]).encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError, KeyError, TypeError):
        return None
    if not isinstance(decoded, dict) or str(decoded.get("alg", "")).lower() != "ecdsa":
        return None
    kid, digest = str(decoded.get("kid") or ""), str(decoded.get("digest") or "SHA1").upper()
    if not kid or digest not in _DIGESTS or not der:
        return None
    return Signature(kid, der, digest)


def is_valid(public_key_pem: str, body: bytes, signature: Signature) -> bool:
    """Whether the key signed the body (ECDSA with the signature's digest)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    match = _PEM.search(public_key_pem)
    if match is None:
        return False
    try:
        key = load_der_public_key(base64.b64decode("".join(match["body"].split())))
    except (ValueError, binascii.Error):
        return False
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    digest = hashes.SHA1() if signature.digest == "SHA1" else hashes.SHA256()  # noqa: S303 (eBay's choice)
    try:
        key.verify(signature.der, body, ec.ECDSA(digest))
    except InvalidSignature:
        return False
    return True
