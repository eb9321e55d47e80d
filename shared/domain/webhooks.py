"""Webhooks at the door: signatures (base64 of HMAC-SHA256 over the raw body, keyed with the
channel's secret), and what a signed body must show before it is queued.

Only the body is signed: the topic, event id and shop headers are not, so a signed body can be
replayed with a new event id or a twisted topic. Hence:
- a body must fit its topic (an `orders/cancelled` carries `cancelled_at`; a delete carries the
  id alone);
- a body's signed time (Shopify `updated_at`, WooCommerce `date_modified_gmt`) older than WINDOW
  is dropped (and one older than what was last applied to its resource, by the worker);
- a delivery is known by its topic and body, not by the channel's event id.
What is queued is the body trimmed to the fields the worker reads (no customer data in the queues).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from shared.domain.channel import ChannelType

WINDOW = timedelta(hours=48)


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(_digest(secret, body)).decode()


def _digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode(), body, hashlib.sha256).digest()


def signature_is_valid(secrets: str | Sequence[str], body: bytes, signature: str | None) -> bool:
    """Whether the secret (or any of `secrets`: two during a rotation) signed `body`: the digests
    compared as bytes in constant time. A missing, malformed or non-ASCII signature, or no secret,
    is never valid."""
    secrets = [secrets] if isinstance(secrets, str) else secrets
    if not signature:
        return False
    try:
        given = base64.b64decode(signature.strip().encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        return False
    # every secret is tried, a match or not: the time taken does not say which one matched
    matches = [hmac.compare_digest(_digest(secret, body), given) for secret in secrets if secret]
    return any(matches)


def delivery_key(topic: str, body: bytes) -> str:
    """What every delivery of one event shares, replays included: its topic and signed body."""
    return hashlib.sha256(topic.encode() + b"\n" + body).hexdigest()


# The fields the worker reads (shared.domain.channel_events), per topic; "line_items" and
# "variants" keep these of each of their entries.
_LINE = ("id", "sku", "quantity")
_SHOPIFY: dict[str, tuple[str, ...]] = {
    "orders/create": ("id", "updated_at", "cancelled_at", "line_items"),
    "orders/cancelled": ("id", "updated_at", "cancelled_at", "line_items"),
    "inventory_levels/update": ("inventory_item_id", "location_id", "available", "updated_at"),
    "products/update": ("id", "updated_at", "variants"),
    "products/delete": ("id",),
}
_WOOCOMMERCE: dict[str, tuple[str, ...]] = {
    "order.created": ("id", "status", "date_modified_gmt", "line_items"),
    "order.updated": ("id", "status", "date_modified_gmt", "line_items"),
    "product.updated": ("id", "sku", "manage_stock", "stock_quantity", "date_modified_gmt"),
    "product.deleted": ("id",),
}
# eBay's Notification API: the door flattens a notification to these (shared/services/ebay_webhooks.py).
_EBAY: dict[str, tuple[str, ...]] = {"ORDER_CONFIRMATION": ("orderId", "eventDate")}
_FIELDS = {ChannelType.SHOPIFY: _SHOPIFY, ChannelType.WOOCOMMERCE: _WOOCOMMERCE, ChannelType.EBAY: _EBAY}
# What a body of each topic cannot do without (besides its signed time).
_NEEDED = {
    "orders/create": ("id", "line_items"),
    "orders/cancelled": ("id", "line_items", "cancelled_at"),
    "inventory_levels/update": ("inventory_item_id", "available"),
    "products/update": ("id", "variants"),
    "order.created": ("id", "status", "line_items"),
    "order.updated": ("id", "status", "line_items"),
    "product.updated": ("id",),
    "ORDER_CONFIRMATION": ("orderId",),
}
_NESTED = {"line_items": _LINE, "variants": ("inventory_item_id", "sku", "inventory_quantity")}
_TIME = {
    ChannelType.SHOPIFY: "updated_at",
    ChannelType.WOOCOMMERCE: "date_modified_gmt",
    ChannelType.EBAY: "eventDate",
}
_DELETES = {"products/delete", "product.deleted"}


def acted_on(channel_type: ChannelType, topic: str) -> bool:
    """Whether Tidemark applies this topic (others are answered and dropped)."""
    return topic in _FIELDS[channel_type]


def misfit(channel_type: ChannelType, topic: str, body: Any) -> str | None:
    """Why this signed body cannot be a `topic` webhook (None: it fits). The topic header is not
    signed: a body is checked against the topic it is sent as."""
    if not isinstance(body, dict):
        return "the body is not a JSON object"
    if topic in _DELETES:
        return _delete_misfit(topic, body)
    return _missing_fields(channel_type, topic, body) or _other_kind(topic, body)


def _delete_misfit(topic: str, body: dict[str, Any]) -> str | None:
    if set(body) == {"id"}:
        return None
    carried = ", ".join(sorted(body)[:5])
    return f"a {topic} body carries the id alone, this one {carried}: it is not a {topic} webhook"


def _missing_fields(channel_type: ChannelType, topic: str, body: dict[str, Any]) -> str | None:
    needed = [f for f in _NEEDED[topic] if f not in body or (body[f] is None and f != "available")]
    needed += [] if body.get(_TIME[channel_type]) else [_TIME[channel_type]]
    return f"the {topic} body must carry {', '.join(needed)}: it is not a {topic} webhook" if needed else None


def _other_kind(topic: str, body: dict[str, Any]) -> str | None:
    """Why a body with every field its topic needs is still of another kind (None: it is of its topic's)."""
    for field in ("line_items", "variants"):
        if field in _NEEDED[topic] and not isinstance(body[field], list):
            return f"{field} is not a list: it is not a {topic} webhook"
    if topic == "orders/create" and body.get("cancelled_at"):
        return "the orders/create body is of a cancelled order: it is not an orders/create webhook"
    if topic in ("inventory_levels/update", "product.updated") and {"line_items", "variants"} & set(body):
        return f"the body is an order or a whole product: it is not a {topic} webhook"
    return None


def signed_time(channel_type: ChannelType, body: Any) -> datetime | None:
    """When the channel last changed the resource, as the body says (UTC); None when it does not."""
    value = body.get(_TIME[channel_type]) if isinstance(body, dict) else None
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def too_old(at: datetime | None, now: datetime) -> bool:
    return at is not None and at < now - WINDOW


def resource_of(channel_type: ChannelType, topic: str, body: Any) -> str:
    """The channel resource a webhook is about: an order, a product, an inventory item (Shopify's
    inventory levels carry no id of their own). Its webhooks share a FIFO group and a watermark."""
    if not isinstance(body, dict):
        return "none"
    if channel_type is ChannelType.SHOPIFY and topic.startswith("inventory_levels/"):
        return f"item:{body.get('inventory_item_id')}"
    if channel_type is ChannelType.EBAY:
        return f"order:{body.get('orderId')}"
    kind = "order" if topic.startswith("order") else "product"
    return f"{kind}:{body.get('id')}"


def trimmed(channel_type: ChannelType, topic: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body with only the fields the worker reads: a product with thousands of variants fits a
    queue message, and no customer's name or address reaches the queues."""
    kept: dict[str, Any] = {}
    for field in _FIELDS[channel_type].get(topic, ()):
        if field not in body:
            continue
        value = body[field]
        if field in _NESTED and isinstance(value, list):
            value = [{k: entry.get(k) for k in _NESTED[field]} for entry in value if isinstance(entry, dict)]
        kept[field] = value
    return kept


def from_store(channel_type: ChannelType, store_url: str, headers: dict[str, str]) -> str | None:
    """Why the (unsigned) headers name another store than the channel's (None: they name it).
    Shopify: X-Shopify-Shop-Domain, checked where the channel's URL is its myshopify.com domain (a
    local store's URL does not name its shop). WooCommerce: X-WC-Webhook-Source, the store's URL."""
    if channel_type is ChannelType.SHOPIFY:
        host = (urlsplit(store_url).hostname or "").lower()
        if not host.endswith(".myshopify.com"):
            return None
        named = headers.get("x-shopify-shop-domain", "").strip().lower()
        return None if named == host else f"the webhook is from shop '{named}', not this channel's '{host}'"
    named = headers.get("x-wc-webhook-source", "").strip()
    if _site(named) == _site(store_url):
        return None
    return f"the webhook is from store '{named}', not this channel's '{store_url}'"


def _site(url: str) -> str:
    """A store's host and path, as its home URL and its REST URL both hold them."""
    parts = urlsplit(url.strip().lower())
    return parts.netloc + parts.path.rstrip("/") if parts.netloc else ""


# During a rotation of a channel's webhook secret the one it replaced is accepted too, for as long
# as a store takes to change over and its queued retries to drain (Shopify retries for 4 hours).
ROTATION = timedelta(days=7)
PREVIOUS, PREVIOUS_UNTIL = "previous_webhook_secret", "previous_webhook_secret_until"


def accepted_secrets(stored: dict[str, str], now: datetime) -> list[str]:
    """The webhook secrets a delivery may be signed with now: the channel's, and the one it
    replaced while its rotation lasts."""
    accepted = [stored.get("webhook_secret", "")]
    until = stored.get(PREVIOUS_UNTIL)
    if stored.get(PREVIOUS) and until and now < datetime.fromisoformat(until):
        accepted.append(stored[PREVIOUS])
    return [secret for secret in accepted if secret]


def rotated(stored: dict[str, str], given: dict[str, str], now: datetime) -> dict[str, str]:
    """The stored credentials with `given` applied: a new webhook secret keeps the one it replaces
    accepted for ROTATION (a rotation started over replaces the older one)."""
    values = {**stored, **given}
    old, new = stored.get("webhook_secret"), given.get("webhook_secret")
    if old and new and new != old:
        values[PREVIOUS] = old
        values[PREVIOUS_UNTIL] = (now + ROTATION).isoformat()
    return values
