"""eBay's Platform Notifications at the door (shared/channels/ebay/platform.py and
ebay_webhooks.receive_platform): the NotificationSignature recipe against the sandbox's posts, the
Timestamp window, hostile XML refused unexpanded, and what the door queues (once per order line)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from shared.channels.ebay import platform
from shared.domain.channel import Channel, ChannelType
from shared.domain.messages import WebhookMessage
from shared.services import ebay_webhooks
from tidemark.sandbox.ebay.platform import envelope, now
from tidemark.sandbox.ebay.records import Offer, Order, OrderLine

pytestmark = pytest.mark.unit

DEV, APP, CERT = "0f2b4c6d-8e9f-4a1b-9c3d-5e7f9a1b3c5d", "Tidemark-app-PRD-1a2b3c", "PRD-0123456789abcdef"
OFFER = Offer("5000000001", "SKU-00001", "EBAY_US", Decimal("9.99"), 5, True, "115000000001")
ORDER = Order(
    "27-5000000002-00002", [OrderLine("5000000002001", "SKU-00001", OFFER, 2)], "2026-12-07T12:00:00Z"
)


def post(timestamp: str | None = None, keys: tuple[str, str, str] = (DEV, APP, CERT)) -> bytes:
    at = timestamp or now()
    return envelope(ORDER, ORDER.lines[0], at, platform.signature(at, *keys))


def unsigned() -> bytes:
    return re.sub(rb"(<ebl:NotificationSignature[^>]*>)[^<]*", rb"\1", post())


def test_the_signature_is_base64_of_md5_over_timestamp_dev_app_and_cert_ids() -> None:
    at = "2026-12-07T12:00:00.123Z"
    expected = base64.b64encode(hashlib.md5(f"{at}{DEV}{APP}{CERT}".encode()).digest()).decode()
    assert platform.signature(at, DEV, APP, CERT) == expected


def test_the_sandboxs_post_parses_to_its_signature_timestamp_event_and_order_line() -> None:
    at = now()
    parsed = platform.parse(post(at))
    assert (parsed.event, parsed.timestamp) == ("FixedPriceTransaction", at)
    assert parsed.sales == (platform.Sale("115000000001-5000000002001", "27-5000000002-00002"),)
    assert platform.is_signed(parsed, DEV, APP, CERT)


def test_a_forged_a_tampered_or_a_missing_signature_does_not_verify() -> None:
    parsed = platform.parse(post())
    assert not platform.is_signed(platform.parse(post(keys=(DEV, APP, "PRD-guessed"))), DEV, APP, CERT)
    assert not platform.is_signed(replace(parsed, timestamp=now() + "0"), DEV, APP, CERT)
    assert platform.parse(unsigned()).signature == ""
    assert not platform.is_signed(platform.parse(unsigned()), DEV, APP, CERT)
    no_header = post().split(b"<soapenv:Header>")[0] + b"<soapenv:Body>" + post().split(b"<soapenv:Body>")[1]
    assert not platform.is_signed(platform.parse(no_header), DEV, APP, CERT)
    assert not platform.is_signed(parsed, "", APP, CERT)  # a channel without its dev id verifies nothing
    assert not platform.is_signed(replace(parsed, signature="é" * 24), DEV, APP, CERT)


def test_only_a_timestamp_within_the_window_is_recent() -> None:
    at = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert platform.is_recent("2026-12-07T12:00:00.000Z", at)
    assert platform.is_recent("2026-12-07T11:51:00.000Z", at)
    assert not platform.is_recent("2026-12-07T11:49:59.000Z", at)  # stale: a replay
    assert not platform.is_recent("2026-12-07T12:10:01.000Z", at)  # from the future
    assert not platform.is_recent("yesterday", at)
    assert not platform.is_recent("", at)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<GetItemTransactionsResponse><Timestamp>&lol3;</Timestamp></GetItemTransactionsResponse>
</soapenv:Body></soapenv:Envelope>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<GetItemTransactionsResponse><Timestamp>&secret;</Timestamp></GetItemTransactionsResponse>
</soapenv:Body></soapenv:Envelope>"""


@pytest.mark.parametrize(
    "body",
    [
        BILLION_LAUGHS,
        EXTERNAL,
        b'<?xml version="1.0"?><!DOCTYPE e SYSTEM "http://evil.example/e.dtd"><Envelope/>',
        b"<Envelope><Body><R><Timestamp>&undeclared;</Timestamp></R></Body></Envelope>",
        b'{"metadata": {"topic": "ORDER_CONFIRMATION"}}',
        b"<Envelope><Body>",
        b"<NotAnEnvelope/>",
        b"<Envelope><Body/></Envelope>",
        b"",
    ],
)
def test_hostile_or_foreign_bodies_are_unreadable_and_no_entity_expands(body: bytes) -> None:
    with pytest.raises(platform.Unreadable):
        platform.parse(body)


class Door:
    """receive_platform with its AWS calls replaced: the channel's keys, the deliveries seen, the queue."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]) -> None:
        self.seen: set[str] = set()
        self.queued: list[Any] = []
        monkeypatch.setattr(ebay_webhooks.secrets, "read_webhook", lambda name: keys)
        monkeypatch.setattr(ebay_webhooks.deliveries, "seen", lambda channel, key: key in self.seen)
        monkeypatch.setattr(ebay_webhooks.deliveries, "record", lambda channel, key: self.seen.add(key))
        monkeypatch.setattr(
            ebay_webhooks.fifo, "send", lambda url, outgoing, quick: self.queued.append(outgoing)
        )
        monkeypatch.setattr(ebay_webhooks, "settings", lambda: SimpleNamespace(webhook_queue_url="q"))
        self.channel = Channel(
            name="bay", type=ChannelType.EBAY, store_url="http://127.0.0.1:1", created_at=datetime.now(UTC)
        )

    def post(self, body: bytes) -> tuple[int, str]:
        return ebay_webhooks.receive_platform(self.channel, body)


KEYS = {"notification_dev_id": DEV, "notification_client_id": APP, "notification_client_secret": CERT}


def test_a_signed_recent_sale_is_queued_once_as_its_order_for_the_worker(monkeypatch) -> None:
    door = Door(monkeypatch, KEYS)
    assert door.post(post()) == (200, "queued")
    assert door.post(post()) == (200, "duplicate")  # a redelivery, re-signed: the same order line
    (queued,) = door.queued
    message = WebhookMessage.model_validate_json(queued.body)
    assert (message.channel, message.type, message.topic) == (
        "bay",
        ChannelType.EBAY,
        "FixedPriceTransaction",
    )
    assert json.loads(message.body)["orderId"] == ORDER.order_id
    assert queued.group_id == f"bay#order:{ORDER.order_id}"  # the group the Notification API's posts take


def test_forged_unsigned_stale_hostile_or_oversized_posts_are_refused_and_queue_nothing(monkeypatch) -> None:
    door = Door(monkeypatch, KEYS)
    stale = (datetime.now(UTC) - timedelta(minutes=11)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for body in (post(keys=(DEV, APP, "PRD-guessed")), unsigned(), BILLION_LAUGHS, EXTERNAL, b"not xml"):
        assert door.post(body) == (401, ebay_webhooks.REFUSED)
    status, message = door.post(post(stale))
    assert status == 401 and "Timestamp" in message
    assert door.post(post() + b" " * platform.MAX_BODY_BYTES)[0] == 413
    assert door.queued == [] and door.seen == set()


def test_a_channel_without_its_dev_id_refuses_platform_posts(monkeypatch) -> None:
    door = Door(monkeypatch, {k: v for k, v in KEYS.items() if k != "notification_dev_id"})
    assert door.post(post()) == (401, ebay_webhooks.REFUSED)
    assert door.queued == []


def test_other_events_are_answered_and_dropped(monkeypatch) -> None:
    door = Door(monkeypatch, KEYS)
    at = now()
    sold = envelope(ORDER, ORDER.lines[0], at, platform.signature(at, DEV, APP, CERT), event="ItemSold")
    assert door.post(sold) == (200, "ignored")
    assert door.queued == []
