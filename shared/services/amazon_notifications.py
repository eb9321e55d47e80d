"""Applying an Amazon notification (from the notifications queue) to master: found the channel by
the seller and marketplace it names, dropped when its NotificationId was applied before, then applied
as a webhook's event is (an order once, a quantity other than the one pushed put back). A quantity
that is the one master would push now is not put back: it is the echo of a push whose batch is not
recorded yet (a batch of patches at 5 a second, or a feed, outlasts the push-back's 5 s delay, and
the push-back would patch the listing again), or an edit to master's own value."""

from __future__ import annotations

import json
from collections import Counter

from shared.domain.allocation import of
from shared.domain.amazon_notifications import parse_notification
from shared.domain.channel import HIDES_BY_QUANTITY, Channel, ChannelType
from shared.domain.channel_events import ChannelEvent, VariantSeen
from shared.domain.syncing import target
from shared.services import locations
from shared.services.channel_events import apply
from shared.storage import channel_rules, channels, deliveries, links, listings, secrets


def handle(body: str) -> tuple[str | None, Counter[str]]:
    """The channel it was for (None: no channel of this seller) and what it changed."""
    notification = parse_notification(json.loads(body))
    channel = _channel_of(notification.seller_id, notification.marketplace_id)
    if channel is None:
        return None, Counter(no_channel=1)
    key = f"amazon-{notification.notification_id}"
    if deliveries.seen(channel.name, key):
        return channel.name, Counter(duplicate=1)
    counts = _applied(channel, notification.event)
    deliveries.record(channel.name, key)  # after applying: a crash in between applies it again, once
    return channel.name, counts


def _applied(channel: Channel, event: ChannelEvent | None) -> Counter[str]:
    if event is None:
        return Counter(ignored=1)
    if isinstance(event, VariantSeen) and _holds_master(channel, event):
        return Counter(agreed=1)
    return apply(channel.name, event)


def _holds_master(channel: Channel, seen: VariantSeen) -> bool:
    """Whether Amazon holds the quantity a push of the listing would send now (as pushing works it
    out: its channel location's or its bundle's quantity, under the channel's rules)."""
    listing = listings.get(seen.sku) if seen.sku else None
    if listing is None:
        return False
    sku, master = listing.sku, {listing.sku: listing}
    quantities = locations.push_quantities(channel.name, [sku], master, links.get_many(channel.name, [sku]))
    if sku in quantities and quantities[sku] is None:
        return False  # the channel's location map feeds it nothing: not pushed
    rules = channel_rules.for_skus(channel.name, master)
    allocated = of(rules.rules, rules.override(sku), listing, quantities.get(sku))
    quantity, _ = target(listing, allocated, hides_by_quantity=channel.type in HIDES_BY_QUANTITY)
    return quantity == seen.quantity


def _channel_of(seller_id: str, marketplace_id: str | None) -> Channel | None:
    for channel in channels.list_all():
        if channel.type is not ChannelType.AMAZON:
            continue
        held = secrets.read(channel.name)
        if held.get("seller_id") == seller_id and marketplace_id in (None, held.get("marketplace_id")):
            return channel
    return None
