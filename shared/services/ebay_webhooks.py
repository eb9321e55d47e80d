"""eBay's Notification API at the webhook door (/v1/webhooks/ebay/{channel}).

- GET ?challenge_code=X: eBay validating the destination; answered with SHA-256 of the code, the
  channel's verification token (its webhook secret) and the endpoint as the request reached us.
- POST: `X-EBAY-SIGNATURE` verified (ECDSA, eBay's public key for its kid) before anything is read:
  a forged, unsigned or mis-signed post is 401 and changes nothing. The key is fetched once per kid
  with an application token of the channel's app (its client id and secret, kept in the webhook
  secret beside the verification token; the seller's refresh token never reaches this door), and
  cached by the container.
- ORDER_CONFIRMATION is queued (one per line item; deduplicated on notificationId, which eBay keeps
  on a redelivery), flattened to `{orderId, eventDate}`: the worker reads the order (getOrder).
  Other topics are answered 200 and dropped.
- Platform Notifications (POST .../platform, `receive_platform`): the SOAP's NotificationSignature
  checked with the app's DevID, AppID and CertID (kept in the webhook secret) and its Timestamp
  within shared.channels.ebay.platform.WINDOW, else 401; each sale of a FixedPriceTransaction or
  AuctionCheckoutComplete is queued as ORDER_CONFIRMATION is, deduplicated on its order line
  (ItemID-TransactionID). Both ways lead the worker to the same getOrder and the same order lines,
  which master applies once each.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shared.channels.ebay.notifications import SIGNATURE_HEADER, challenge_response, is_valid, parse_signature
from shared.domain.channel import Channel, ChannelType
from shared.domain.messages import WebhookMessage
from shared.domain.webhooks import acted_on, delivery_key, misfit, resource_of, signed_time, too_old
from shared.settings import settings
from shared.storage import deliveries, fifo, secrets

logger = logging.getLogger(__name__)

REFUSED = "signature missing or invalid"
_keys: dict[tuple[str, str], str] = {}  # (API URL, kid) -> PEM
# A kid not known is asked of eBay at most once a channel this often: a flood of posts with made-up
# kids costs one getPublicKey call, not one each.
UNKNOWN_KID_EVERY_SECONDS = 10.0
_asked: dict[str, float] = {}  # channel -> when a key was last asked for
KEY_FETCH_TIMEOUT_S = 1.0


def challenge(channel: Channel | None, code: str, endpoint: str) -> tuple[int, dict[str, str]]:
    token = secrets.read_webhook(channel.name).get("webhook_secret", "") if channel is not None else ""
    if channel is None or channel.type is not ChannelType.EBAY or not token:
        return 404, {"message": "no eBay channel with a verification token here"}
    return 200, {"challengeResponse": challenge_response(code, token, endpoint)}


def receive(channel: Channel, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
    """(status, message), as shared/services/webhooks.receive answers."""
    if not _is_signed(channel, headers, body):
        return 401, REFUSED
    try:
        parsed = json.loads(body)
    except ValueError:
        return 400, "the body is not JSON"
    topic, flat = _flattened(parsed)
    if not acted_on(ChannelType.EBAY, topic):
        return 200, "ignored"
    problem = misfit(ChannelType.EBAY, topic, flat)
    if problem or not flat.get("notificationId"):
        return 400, problem or "the notification carries no notificationId"
    return _queued(channel, topic, flat, delivery_key(topic, str(flat.pop("notificationId")).encode()))


def receive_platform(channel: Channel, body: bytes) -> tuple[int, str]:
    """A Platform Notification: (status, message) as `receive` answers. 401 for a body that is not
    eBay's SOAP, or whose signature or Timestamp does not hold; 413 past platform.MAX_BODY_BYTES."""
    from shared.channels.ebay import platform

    if len(body) > platform.MAX_BODY_BYTES:
        return 413, f"the body is over {platform.MAX_BODY_BYTES:,} bytes"
    try:
        notification = platform.parse(body)
    except platform.Unreadable:
        return 401, REFUSED
    held = secrets.read_webhook(channel.name)
    keys = [held.get(f"notification_{k}", "") for k in ("dev_id", "client_id", "client_secret")]
    if not all(keys):
        logger.warning(
            "eBay channel %s has no app keys for Platform Notifications: give its dev id "
            "(`tidemark channels edit %s --dev-id DEV_ID`)",
            channel.name,
            channel.name,
        )
        return 401, REFUSED
    if not platform.is_signed(notification, *keys):
        return 401, REFUSED
    if not platform.is_recent(notification.timestamp, datetime.now(UTC)):
        minutes = int(platform.WINDOW.total_seconds() // 60)
        return 401, f"the Timestamp is over {minutes} minutes from now: a stale delivery, or a clock to set"
    if notification.event not in platform.ORDER_EVENTS:
        return 200, "ignored"
    missing = [sale.line_item_id for sale in notification.sales if not sale.order_id]
    if not notification.sales or missing:
        return 400, f"the {notification.event} names no Transaction with ContainingOrder.OrderID"
    answers = [
        _queued(
            channel,
            notification.event,
            {"orderId": sale.order_id, "eventDate": notification.timestamp},
            delivery_key("platform-order-line", sale.line_item_id.encode()),
        )
        for sale in notification.sales
    ]
    return next((a for a in answers if a[1] == "queued"), answers[0])


def _queued(channel: Channel, topic: str, flat: dict[str, Any], delivery: str) -> tuple[int, str]:
    """An order event flattened to `{orderId, eventDate}`, queued once for the worker."""
    if too_old(signed_time(ChannelType.EBAY, flat), datetime.now(UTC)):
        return 200, "too old"
    if deliveries.seen(channel.name, delivery):
        return 200, "duplicate"
    message = WebhookMessage(
        channel=channel.name,
        type=ChannelType.EBAY,
        topic=topic,
        delivery=delivery,
        event=delivery[:128],
        body=json.dumps(flat, separators=(",", ":")),
    )
    group = f"{channel.name}#{resource_of(ChannelType.EBAY, topic, flat)}"[:128]
    fifo.send(
        settings().webhook_queue_url, fifo.Outgoing(message.model_dump_json(), group, delivery), quick=True
    )
    deliveries.record(channel.name, delivery)
    return 200, "queued"


def _is_signed(channel: Channel, headers: Mapping[str, str], body: bytes) -> bool:
    """Whether the body carries a valid signature by eBay's key for the signature's kid."""
    signature = parse_signature(headers.get(SIGNATURE_HEADER))
    if signature is None:
        return False
    key = _public_key(channel, signature.kid)
    return bool(key) and is_valid(key, body, signature)


def _flattened(parsed: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(parsed, dict):
        return "", {}
    topic = str((parsed.get("metadata") or {}).get("topic") or "")
    notification = parsed.get("notification") or {}
    data = notification.get("data") or {} if isinstance(notification, dict) else {}
    if not isinstance(data, dict):
        return topic, {}
    return topic, {
        "orderId": data.get("orderId"),
        "eventDate": notification.get("eventDate"),
        "notificationId": notification.get("notificationId"),
    }


def _public_key(channel: Channel, kid: str) -> str:
    cached = _keys.get((channel.store_url, kid))
    if cached is not None:
        return cached
    now = time.monotonic()
    if now - _asked.get(channel.name, -UNKNOWN_KID_EVERY_SECONDS) < UNKNOWN_KID_EVERY_SECONDS:
        return ""
    _asked[channel.name] = now
    held = secrets.read_webhook(channel.name)
    client_id, client_secret = held.get("notification_client_id"), held.get("notification_client_secret")
    if not client_id or not client_secret:
        logger.warning(
            "eBay channel %s has no app keys for notifications: re-enter its client id", channel.name
        )
        return ""
    import httpx

    from shared.channels.base import ChannelError
    from shared.channels.ebay import EbayClient

    # within the door's 5 s: two attempts of at most 1 s for the app token and for the key
    http = httpx.Client(timeout=httpx.Timeout(KEY_FETCH_TIMEOUT_S))
    client = EbayClient(channel.store_url, client_id, client_secret, "", http=http, attempts=2)
    try:
        key = client.public_key(kid)
    except ChannelError as error:
        logger.warning("eBay's public key %s could not be read: %s", kid, error.message)
        return ""
    finally:
        http.close()
    if key:
        _keys[(channel.store_url, kid)] = key
    return key
