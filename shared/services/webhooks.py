"""Receiving a channel's webhook: verify it, then leave the work to the webhook queue."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from shared.domain.channel import ChannelType
from shared.domain.messages import WebhookMessage
from shared.domain.webhooks import signature_is_valid
from shared.settings import settings
from shared.storage import channels, deliveries, secrets
from shared.storage.aws import client

SIGNATURE_HEADER = {
    ChannelType.SHOPIFY: "x-shopify-hmac-sha256",
    ChannelType.WOOCOMMERCE: "x-wc-webhook-signature",
}
# What fits one SQS message with room for its envelope (an order of some hundred lines is ~100 KB).
MAX_BODY_BYTES = 200 * 1024
TOPIC_HEADER = {ChannelType.SHOPIFY: "x-shopify-topic", ChannelType.WOOCOMMERCE: "x-wc-webhook-topic"}


@dataclass(frozen=True)
class Received:
    status: int
    message: str


def receive(
    channel_type: ChannelType, channel_name: str, headers: Mapping[str, str], body: bytes
) -> Received:
    """401 for anything not signed by the channel's secret, 413 past MAX_BODY_BYTES, 400 for a body
    that is not JSON; 200 once the webhook is queued, or known already (a duplicate changes nothing)."""
    headers = {k.lower(): v for k, v in headers.items()}
    if len(body) > MAX_BODY_BYTES:
        return Received(413, f"the body is over {MAX_BODY_BYTES:,} bytes")
    channel = channels.get(channel_name)
    if channel is None or channel.type is not channel_type:
        return Received(401, "unknown channel")
    is_ping = channel_type is ChannelType.WOOCOMMERCE and body.startswith(b"webhook_id=")
    if is_ping and SIGNATURE_HEADER[channel_type] not in headers:
        return Received(200, "ping")
    secret = secrets.read(channel.name).get("webhook_secret", "")
    if not signature_is_valid(secret, body, headers.get(SIGNATURE_HEADER[channel_type])):
        return Received(401, "signature missing or invalid")
    try:
        parsed = json.loads(body)
    except ValueError:
        return Received(400, "the body is not JSON")
    delivery = _delivery_key(channel_type, headers, body)
    if not deliveries.first_time(channel.name, delivery):
        return Received(200, "duplicate")
    message = WebhookMessage(
        channel=channel.name,
        type=channel_type,
        topic=headers.get(TOPIC_HEADER[channel_type], ""),
        delivery=delivery,
        body=body.decode(),
    )
    try:
        client("sqs").send_message(
            QueueUrl=settings().webhook_queue_url,
            MessageBody=message.model_dump_json(),
            MessageGroupId=_group(channel.name, parsed),
            MessageDeduplicationId=delivery,
        )
    except Exception:
        deliveries.forget(channel.name, delivery)
        raise
    return Received(200, "queued")


def _group(channel: str, body: object) -> str:
    """One message group per channel resource (an order, a product): its webhooks are applied in
    the order they came, while different orders are applied side by side."""
    resource = body.get("id") if isinstance(body, dict) else None
    return f"{channel}#{resource}"[:128]


def _delivery_key(channel_type: ChannelType, headers: Mapping[str, str], body: bytes) -> str:
    """Shopify: the event id its duplicate deliveries share. WooCommerce: a hash of the body (its
    delivery id repeats within a second; CHANNELS.md)."""
    if channel_type is ChannelType.SHOPIFY and headers.get("x-shopify-event-id"):
        return headers["x-shopify-event-id"][:128]
    return hashlib.sha256(body).hexdigest()
