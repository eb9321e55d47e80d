"""eBay's notification checks (shared/channels/ebay/notifications.py) against the sandbox's signer,
and the quota pacer's reading of getRateLimits."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from shared.channels.base import ChannelError
from shared.channels.ebay.notifications import challenge_response, is_valid, parse_signature
from shared.channels.ebay.quota import DailyQuota, Limits, parse_limits
from tests.fakes import FakeClock
from tidemark.sandbox.ebay.notifications import Notifier
from tidemark.sandbox.faults import Faults

pytestmark = pytest.mark.unit

BODY = (
    b'{"metadata":{"topic":"ORDER_CONFIRMATION"},'
    b'"notification":{"notificationId":"n-1","data":{"orderId":"27-1"}}}'
)


def test_the_challenge_response_is_sha256_of_code_token_and_endpoint() -> None:
    expected = hashlib.sha256(b"abc" + b"token" + b"https://x.example/v1/webhooks/ebay/bay").hexdigest()
    assert challenge_response("abc", "token", "https://x.example/v1/webhooks/ebay/bay") == expected


def test_a_body_signed_by_ebays_key_verifies_with_the_key_it_publishes() -> None:
    notifier = Notifier(Faults())
    signature = parse_signature(notifier.signature(BODY))
    assert signature is not None
    assert (signature.kid, signature.digest) == (notifier.kid, "SHA1")
    pem = notifier.public_key()["key"]
    assert "\n" not in pem  # eBay runs the PEM's lines together
    assert is_valid(pem, BODY, signature)
    assert not is_valid(pem, BODY.replace(b"27-1", b"27-2"), signature)
    other = Notifier(Faults())
    assert not is_valid(other.public_key()["key"], BODY, signature)
    assert not is_valid("not a key", BODY, signature)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "not base64!",
        base64.b64encode(b"not json").decode(),
        base64.b64encode(json.dumps({"alg": "rsa", "kid": "k", "signature": "AAAA"}).encode()).decode(),
        base64.b64encode(json.dumps({"alg": "ecdsa", "signature": "AAAA"}).encode()).decode(),
        base64.b64encode(json.dumps({"alg": "ecdsa", "kid": "k", "signature": "!!"}).encode()).decode(),
        base64.b64encode(
            json.dumps({"alg": "ecdsa", "kid": "k", "signature": "AAAA", "digest": "MD5"}).encode()
        ).decode(),
    ],
)
def test_a_header_not_of_ebays_shape_is_no_signature(header: str | None) -> None:
    assert parse_signature(header) is None


def test_get_rate_limits_is_read_for_the_inventory_api() -> None:
    body = {
        "rateLimits": [
            {
                "apiName": "fulfillment",
                "resources": [{"rates": [{"limit": 1, "remaining": 0, "reset": "2026-01-01T00:00:00.000Z"}]}],
            },
            {
                "apiName": "inventory",
                "resources": [
                    {
                        "name": "sell.inventory",
                        "rates": [
                            {
                                "limit": 5000,
                                "remaining": 12,
                                "reset": "2026-01-02T00:00:00.000Z",
                                "timeWindow": 86400,
                            }
                        ],
                    }
                ],
            },
        ]
    }
    limits = parse_limits(body)
    assert limits is not None
    assert (limits.limit, limits.remaining) == (5000, 12)
    assert parse_limits({"rateLimits": []}) is None
    assert parse_limits("nonsense") is None


def test_the_pacer_counts_its_calls_and_waits_for_a_near_reset_or_fails_for_a_far_one() -> None:
    clock = FakeClock()
    reads: list[Limits] = [
        Limits(100, 2, clock.now + 30),
        Limits(100, 0, clock.now + 30),
        Limits(100, 100, clock.now + 86_430),
    ]
    quota = DailyQuota(lambda: reads.pop(0), clock=clock, sleep=clock.sleep, max_wait=60)
    quota.wait_turn()
    quota.wait_turn()  # the two calls left, counted without asking eBay again
    quota.wait_turn()  # spent: read again (still spent), wait for the reset, read again
    assert clock.sleeps == [30.0]
    far = DailyQuota(lambda: Limits(5000, 0, clock.now + 3600), clock=clock, sleep=clock.sleep, max_wait=60)
    with pytest.raises(ChannelError) as spent:
        far.wait_turn()
    assert spent.value.retryable and "5000 calls" in spent.value.message
    assert clock.sleeps == [30.0]  # it did not wait an hour
