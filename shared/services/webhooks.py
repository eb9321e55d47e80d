"""Receiving a channel's webhook: verify it, then leave the work to the webhook queue.

The door answers within Shopify's 5 s (its AWS calls have short timeouts and few attempts). A body
is checked against what is not signed (its topic, its store) and its age; a delivery is queued
first and recorded after, so a timeout between the two lets the channel's retry in. A body too large
for a queue message even trimmed is written to S3 before anything is queued, and its key is queued.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.domain.channel import Channel, ChannelType
from shared.domain.messages import WebhookMessage
from shared.domain.webhooks import (
    accepted_secrets,
    acted_on,
    delivery_key,
    from_store,
    misfit,
    resource_of,
    signature_is_valid,
    signed_time,
    too_old,
    trimmed,
)
from shared.settings import settings
from shared.storage import channels, deliveries, fifo, secrets

SIGNATURE_HEADER = {
    ChannelType.SHOPIFY: "x-shopify-hmac-sha256",
    ChannelType.WOOCOMMERCE: "x-wc-webhook-signature",
    ChannelType.EBAY: "x-ebay-signature",
}
# A body is read and verified up to this size (Lambda takes 6 MB): a product with Shopify's 2,048
# variants is legal and far past what a queue message holds, so it is trimmed, not refused.
MAX_BODY_BYTES = 5 * 1024 * 1024
# What fits one SQS message with room for its envelope, once trimmed to the fields the worker reads;
# a trimmed body past it is kept in S3 and its key queued (2,048 variants of 255-character SKUs).
MAX_QUEUED_BYTES = 200 * 1024
TOPIC_HEADER = {ChannelType.SHOPIFY: "x-shopify-topic", ChannelType.WOOCOMMERCE: "x-wc-webhook-topic"}
EVENT_HEADER = {
    ChannelType.SHOPIFY: "x-shopify-event-id",
    ChannelType.WOOCOMMERCE: "x-wc-webhook-delivery-id",
}
# One answer for a channel that does not exist and a signature that does not fit: the door does not
# tell a stranger which channel names exist.
REFUSED = "signature missing or invalid"


@dataclass(frozen=True)
class Received:
    status: int
    message: str


def receive(
    channel_type: ChannelType,
    channel_name: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    platform: bool = False,
) -> Received:
    """401 for anything not signed by the channel's secret, 413 past MAX_BODY_BYTES, 400 for a
    body that is not JSON, does not fit its topic, or names another store; 200 once the webhook is
    queued, or known already (a duplicate changes nothing), or too old, or of a topic not acted on.
    A failed AWS call raises (a 5xx): the channel retries what it was not told was taken.
    `platform`: an eBay Platform Notification (SOAP), at its own route."""
    headers = {k.lower(): v for k, v in headers.items()}
    if len(body) > MAX_BODY_BYTES:
        return Received(413, f"the body is over {MAX_BODY_BYTES:,} bytes")
    channel = channels.get(channel_name, quick=True)
    if channel is None or channel.type is not channel_type:
        return Received(401, REFUSED)
    if channel_type is ChannelType.EBAY:
        from shared.services import ebay_webhooks

        if platform:
            return Received(*ebay_webhooks.receive_platform(channel, body))
        return Received(*ebay_webhooks.receive(channel, headers, body))
    if _is_unsigned_ping(channel_type, headers, body):
        return Received(200, "ping")
    now = datetime.now(UTC)
    accepted = accepted_secrets(secrets.read_webhook(channel.name), now)
    if not signature_is_valid(accepted, body, headers.get(SIGNATURE_HEADER[channel_type])):
        return Received(401, REFUSED)
    try:
        parsed = json.loads(body)
    except ValueError:
        return Received(400, "the body is not JSON")
    return _take_signed(channel, headers, body, parsed, now)


def _is_unsigned_ping(channel_type: ChannelType, headers: Mapping[str, str], body: bytes) -> bool:
    """WooCommerce's ping of a webhook just created: a form body (`webhook_id=...`), sent unsigned."""
    is_ping = channel_type is ChannelType.WOOCOMMERCE and body.startswith(b"webhook_id=")
    return is_ping and SIGNATURE_HEADER[channel_type] not in headers


def _take_signed(
    channel: Channel, headers: dict[str, str], body: bytes, parsed: Any, now: datetime
) -> Received:
    """A signed body checked for what its signature does not cover (its topic, its store, its age),
    then queued once."""
    topic = headers.get(TOPIC_HEADER[channel.type], "")
    if not acted_on(channel.type, topic):
        return Received(200, "ignored")
    problem = misfit(channel.type, topic, parsed) or from_store(channel.type, channel.store_url, headers)
    if problem:
        return Received(400, problem)
    if too_old(signed_time(channel.type, parsed), now):
        return Received(200, "too old")
    delivery = delivery_key(topic, body)
    if deliveries.seen(channel.name, delivery):
        return Received(200, "duplicate")
    message = WebhookMessage(
        channel=channel.name,
        type=channel.type,
        topic=topic,
        delivery=delivery,
        event=headers.get(EVENT_HEADER[channel.type], "")[:128],
        body=json.dumps(trimmed(channel.type, topic, parsed), separators=(",", ":")),
    )
    queued = message.model_dump_json()
    if len(queued.encode()) > MAX_QUEUED_BYTES:
        queued = _kept_aside(message).model_dump_json()
    group = f"{channel.name}#{resource_of(channel.type, topic, parsed)}"[:128]
    fifo.send(settings().webhook_queue_url, fifo.Outgoing(queued, group, delivery), quick=True)
    deliveries.record(channel.name, delivery)
    return Received(200, "queued")


def _kept_aside(message: WebhookMessage) -> WebhookMessage:
    """The message with its body kept in S3 and only its key queued (written before it is queued:
    a failed write fails the delivery, and the channel's retry writes the same object)."""
    from shared.storage import webhook_bodies  # only this path needs S3's client

    key = webhook_bodies.put(message.channel, message.delivery, message.body)
    return message.model_copy(update={"body": "", "body_key": key})


def body_of(message: WebhookMessage) -> str:
    """The webhook's body, read back from S3 when the door kept it there (the worker's)."""
    if message.body_key is None:
        return message.body
    from shared.storage import webhook_bodies

    return webhook_bodies.get(message.body_key)


def challenge(
    channel_type: ChannelType, channel_name: str, code: str, endpoint: str
) -> tuple[int, dict[str, str]]:
    """eBay's endpoint validation (GET ?challenge_code=): (status, body)."""
    if channel_type is not ChannelType.EBAY or not code:
        return 404, {"message": "no challenge is answered here"}
    from shared.services import ebay_webhooks

    return ebay_webhooks.challenge(channels.get(channel_name, quick=True), code, endpoint)
