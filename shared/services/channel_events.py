"""Applying a channel's webhook (from the webhook queue) to master and the links.

- An order takes each linked line's quantity off master once; a cancel puts it back once. The
  listing's new balance reaches every linked channel through auto sync.
- A quantity other than the one pushed (a hand edit on the channel) marks the link out of sync
  and pushes master's values back to that channel.
- A variant deleted, or whose matched SKU changed, unlinks its link with the reason.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from shared.domain.channel import ChannelType
from shared.domain.channel_events import (
    Deleted,
    OrderCancelled,
    OrderLine,
    OrderPlaced,
    ProductSeen,
    VariantSeen,
    after_seen,
    parse,
)
from shared.domain.link import Link, LinkStatus, channel_number
from shared.domain.messages import PushOrigin
from shared.services.autosync import queue_pushes
from shared.storage import links, orders


def handle(channel: str, channel_type: ChannelType, topic: str, body: str) -> Counter[str]:
    """Apply one webhook; the counts of what it changed. Every step is safe to repeat."""
    event = parse(channel_type, topic, json.loads(body))
    match event:
        case OrderPlaced():
            return _order(channel, event.order_id, event.lines, orders.place, "taken", -1)
        case OrderCancelled():
            return _order(channel, event.order_id, event.lines, orders.cancel, "put_back", +1)
        case VariantSeen():
            link = links.for_inventory_item(channel, event.item)
            return _seen(channel, [(link, event)] if link else [])
        case ProductSeen():
            by_item = {variant.item: variant for variant in event.variants}
            held = links.for_product(channel, event.product)
            return _seen(
                channel, [(link, by_item.get(channel_number(link.inventory_item_id))) for link in held]
            )
        case Deleted():
            item = links.for_inventory_item(channel, event.number)
            gone = {
                link.sku: link
                for link in [*links.for_product(channel, event.number), *([item] if item else [])]
            }
            return _seen(channel, [(link, None) for link in gone.values()])
    return Counter(ignored=1)


def _order(
    channel: str,
    order_id: str,
    lines: tuple[OrderLine, ...],
    apply: Callable[[str, str, OrderLine], int],
    counted: str,
    sign: int,
) -> Counter[str]:
    """Apply each linked line to master once. The ordering channel moved its own stock already:
    its link's last pushed quantity moves with it, so the quantity webhooks that follow the order
    are not taken for a hand edit (auto sync pushes master's new balance to every channel)."""
    counts: Counter[str] = Counter()
    linked = links.get_many(channel, [line.sku for line in lines])
    for line in lines:
        link = linked.get(line.sku)
        if link is None or link.status is not LinkStatus.LINKED:
            counts["lines_not_linked"] += 1
            continue
        moved = apply(channel, order_id, line)
        if moved:
            links.shift_pushed_quantity(channel, line.sku, sign * moved)
        counts[counted] += moved
    return counts


def _seen(channel: str, seen: list[tuple[Link, VariantSeen | None]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    now = datetime.now(UTC)
    changed, pushed_back = [], []
    for link, variant in seen:
        after, push_back = after_seen(link, variant, channel, now)
        if after != link:
            changed.append(after)
            counts["unlinked" if after.status is LinkStatus.UNLINKED else "out_of_sync"] += 1
        if push_back:
            pushed_back.append(link.sku)
    links.put_many(changed)
    if pushed_back:
        counts["pushed_back"] = queue_pushes(pushed_back, PushOrigin.CHANNEL_EDIT, channel=channel)
    return counts
