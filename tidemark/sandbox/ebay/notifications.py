"""The sandbox's Commerce Notification API: a destination validated by eBay's challenge, then posts
signed with the sandbox's ECDSA P-256 key, whose public key getPublicKey serves.

- `subscribe(endpoint, verification_token)` does what createDestination does: a
  `GET endpoint?challenge_code=X`, whose answer must be `{"challengeResponse":
  hex(SHA-256(X + verification_token + endpoint))}`, else ValueError and nothing is sent there.
- A post: `{"metadata": {topic, schemaVersion, deprecated}, "notification": {notificationId,
  eventDate, publishDate, publishAttemptCount, data}}` with `X-EBAY-SIGNATURE` = base64 of
  `{"alg": "ecdsa", "kid", "signature": base64 DER over the body, "digest": "SHA1"}`.
- ORDER_CONFIRMATION, one per line item of an order, `data` holding the `orderId` (the seller reads
  the order with getOrder); ITEM_AVAILABILITY on a listing's availability change. Deliveries go
  through the shared sender (../webhooks.py): at least once, drops, duplicates and reorders on
  request, a redelivery keeping its notificationId.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tidemark.sandbox.faults import Faults
from tidemark.sandbox.webhooks import WebhookSender


class Notifier:
    def __init__(self, faults: Faults) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.kid = str(uuid.uuid4())
        self._faults = faults
        self.sender: WebhookSender | None = None

    def public_key(self) -> dict[str, str]:
        """getPublicKey's answer; eBay runs the PEM's lines together."""
        pem = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"key": "".join(pem.decode().splitlines()), "algorithm": "ECDSA", "digest": "SHA1"}

    def signature(self, body: bytes) -> str:
        der = self._key.sign(body, ec.ECDSA(hashes.SHA1()))  # noqa: S303 (eBay's digest)
        header = {
            "alg": "ecdsa",
            "kid": self.kid,
            "signature": base64.b64encode(der).decode(),
            "digest": "SHA1",
        }
        return base64.b64encode(json.dumps(header).encode()).decode()

    def subscribe(self, endpoint: str, verification_token: str) -> None:
        """Validate the endpoint with the challenge, then send it every notification."""
        code = secrets.token_hex(16)
        answer = httpx.get(endpoint, params={"challenge_code": code}, timeout=10.0)
        expected = hashlib.sha256((code + verification_token + endpoint).encode()).hexdigest()
        got = answer.json().get("challengeResponse") if answer.status_code == 200 else None
        if got != expected:
            raise ValueError(
                f"the endpoint {endpoint} failed eBay's challenge (HTTP {answer.status_code}, "
                f"{answer.text[:200]!r}): it must answer SHA-256 of challenge_code, token and endpoint"
            )
        self.close()
        self.sender = WebhookSender(
            endpoint, "", lambda topic, body, _: {"X-EBAY-SIGNATURE": self.signature(body)}, self._faults
        )

    def send(self, topic: str, data: dict[str, Any]) -> None:
        if self.sender is None:
            return
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"
        self.sender.send(
            topic,
            {
                "metadata": {"topic": topic, "schemaVersion": "1.0", "deprecated": False},
                "notification": {
                    "notificationId": str(uuid.uuid4()),
                    "eventDate": now,
                    "publishDate": now,
                    "publishAttemptCount": 1,
                    "data": data,
                },
            },
        )

    def close(self) -> None:
        sender, self.sender = self.sender, None
        if sender is not None:
            sender.flush()
            sender.close()
