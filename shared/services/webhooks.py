"""Receiving a channel's webhook: verify it, then leave the work to the webhook queue."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from shared.domain.channel import ChannelType
from shared.domain.webhooks import signature_is_valid
from shared.settings import settings
from shared.storage import channels, secrets
from shared.storage.aws import client

SIGNATURE_HEADER = {
    ChannelType.SHOPIFY: "x-shopify-hmac-sha256",
    ChannelType.WOOCOMMERCE: "x-wc-webhook-signature",
}
TOPIC_HEADER = {ChannelType.SHOPIFY: "x-shopify-topic", ChannelType.WOOCOMMERCE: "x-wc-webhook-topic"}


@dataclass(frozen=True)
class Received:
    status: int
    message: str


def receive(
    channel_type: ChannelType, channel_name: str, headers: Mapping[str, str], body: bytes
) -> Received:
    """401 for anything not signed by the channel's secret; 200 once the webhook is queued."""
    headers = {k.lower(): v for k, v in headers.items()}
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
        json.loads(body)
    except ValueError:
        return Received(400, "the body is not JSON")
    client("sqs").send_message(
        QueueUrl=settings().webhook_queue_url,
        MessageBody=json.dumps(
            {
                "channel": channel.name,
                "type": channel_type.value,
                "topic": headers.get(TOPIC_HEADER[channel_type], ""),
                "body": body.decode(),
            }
        ),
        MessageGroupId=channel.name,
        MessageDeduplicationId=_delivery_key(channel_type, headers, body),
    )
    return Received(200, "queued")


def _delivery_key(channel_type: ChannelType, headers: Mapping[str, str], body: bytes) -> str:
    """Shopify: the event id its duplicate deliveries share. WooCommerce: a hash of the body."""
    if channel_type is ChannelType.SHOPIFY and headers.get("x-shopify-event-id"):
        return headers["x-shopify-event-id"][:128]
    return hashlib.sha256(body).hexdigest()
