"""Applying an Amazon notification (from the notifications queue) to master: found the channel by
the seller and marketplace it names, dropped when its NotificationId was applied before, then applied
as a webhook's event is (an order once, a quantity other than the one pushed put back)."""

from __future__ import annotations

import json
from collections import Counter

from shared.domain.amazon_notifications import parse_notification
from shared.domain.channel import Channel, ChannelType
from shared.services.channel_events import apply
from shared.storage import channels, deliveries, secrets


def handle(body: str) -> tuple[str | None, Counter[str]]:
    """The channel it was for (None: no channel of this seller) and what it changed."""
    notification = parse_notification(json.loads(body))
    channel = _channel_of(notification.seller_id, notification.marketplace_id)
    if channel is None:
        return None, Counter(no_channel=1)
    key = f"amazon-{notification.notification_id}"
    if deliveries.seen(channel.name, key):
        return channel.name, Counter(duplicate=1)
    counts = apply(channel.name, notification.event) if notification.event else Counter(ignored=1)
    deliveries.record(channel.name, key)  # after applying: a crash in between applies it again, once
    return channel.name, counts


def _channel_of(seller_id: str, marketplace_id: str | None) -> Channel | None:
    for channel in channels.list_all():
        if channel.type is not ChannelType.AMAZON:
            continue
        held = secrets.read(channel.name)
        if held.get("seller_id") == seller_id and marketplace_id in (None, held.get("marketplace_id")):
            return channel
    return None
