"""Applying a channel's webhook (from the webhook queue) to master and the links.

- An order takes each linked line's quantity off master once; a cancel puts it back once. The
  listing's new balance reaches every linked channel through auto sync.
- A cancel is confirmed by reading the order back from its channel first (Shopify's `order(id:)`
  `cancelledAt`, WooCommerce's `GET /orders/{id}` status `cancelled`): one the channel does not
  hold cancelled, or an order it does not know, puts nothing back and is counted as
  `cancel_not_confirmed`. eBay's orders are read from eBay whatever the notification says;
  Amazon's cancels (its ORDER_CHANGE notifications, `apply`) are read back with getOrder.
- A quantity other than the one pushed (a hand edit on the channel) marks the link out of sync
  and pushes master's values back to that channel.
- A variant deleted, or whose matched SKU changed, unlinks its link with the reason. A delete is
  confirmed by reading the channel first: only the variants the channel no longer has unlink.
- A webhook older than what was last applied to its resource (a late retry, a replay) is dropped.
  A webhook queue batch reads the last applied time of its resources once (`applied_read_once`:
  one BatchGetItem, not a GetItem a message); a resource is its message group, which the FIFO
  queue hands to one batch at a time, so no other worker moves it meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from shared.channels.base import ChannelClient, OrderReader
from shared.domain.channel import ChannelType
from shared.domain.channel_events import (
    ChannelEvent,
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
from shared.domain.messages import PushOrigin, WebhookMessage
from shared.domain.webhooks import resource_of, signed_time
from shared.services import clients, locations
from shared.services.autosync import queue_pushes
from shared.storage import applied, channels, links, orders

logger = logging.getLogger(__name__)


_batch = threading.local()  # the last applied times a webhook batch read once, in its thread


@contextmanager
def applied_read_once(bodies: Iterable[str]) -> Iterator[None]:
    """While a webhook queue batch (its messages' JSON) is handled in this thread: the last applied
    time of each resource its messages name, read once for the batch and kept up to date by `handle`
    as it records them. A body kept in S3 is left to read its own."""
    try:
        named = []
        for body in bodies:
            message = WebhookMessage.model_validate_json(body)
            if message.body_key is None:
                parsed = json.loads(message.body)
                if signed_time(message.type, parsed):
                    named.append((message.channel, resource_of(message.type, message.topic, parsed)))
        _batch.last = applied.last_many(named) if named else {}
    except Exception:  # each message reads its own then, and a failure is recorded against it
        _batch.last = {}
    try:
        yield
    finally:
        _batch.last = {}


def _last_applied(channel: str, resource: str) -> datetime | None:
    known: dict[tuple[str, str], datetime | None] = getattr(_batch, "last", {})
    if (channel, resource) in known:
        return known[(channel, resource)]
    return applied.last(channel, resource)


def _record_applied(channel: str, resource: str, at: datetime) -> None:
    applied.record(channel, resource, at)
    known: dict[tuple[str, str], datetime | None] = getattr(_batch, "last", {})
    if (channel, resource) in known:
        before = known[(channel, resource)]
        known[(channel, resource)] = at if before is None or at > before else before


def handle(channel: str, channel_type: ChannelType, topic: str, body: str) -> Counter[str]:
    """Apply one webhook; the counts of what it changed. Every step is safe to repeat."""
    parsed = json.loads(body)
    resource, at = resource_of(channel_type, topic, parsed), signed_time(channel_type, parsed)
    last = _last_applied(channel, resource) if at else None
    if at and last and at < last:
        return Counter(stale=1)
    event: ChannelEvent | None
    if channel_type is ChannelType.EBAY:
        event = _ebay_order(channel, parsed)
    else:
        event = parse(channel_type, topic, parsed)
        if _unconfirmed_cancel(channel, event):
            # not recorded as applied: a forged body's time must not make the real webhooks stale
            return Counter(cancel_not_confirmed=1)
    counts = _apply(channel, event)
    if at:
        _record_applied(channel, resource, at)
    return counts


def apply(channel: str, event: object) -> Counter[str]:
    """Apply one event a channel told of another way than a webhook (Amazon's notifications), a
    cancel once the channel confirms it."""
    if _unconfirmed_cancel(channel, event):
        return Counter(cancel_not_confirmed=1)
    return _apply(channel, event)


def _ebay_order(channel_name: str, body: dict[str, object]) -> OrderPlaced | OrderCancelled | None:
    """eBay's ORDER_CONFIRMATION names the order only: its lines are read with getOrder."""
    from shared.channels.ebay import EbayClient
    from shared.channels.ebay.answers import Order

    channel = channels.get(channel_name)
    if channel is None:
        return None

    def read(client: ChannelClient) -> Order | None:
        if not isinstance(client, EbayClient):
            raise TypeError(f"channel {channel_name} is not an eBay channel")
        return client.read_order(str(body.get("orderId") or ""))

    order = clients.call(channel, read)
    if order is None:
        return None
    lines = tuple(OrderLine(line_id=i, sku=sku, quantity=n) for i, sku, n in order.lines if sku and n > 0)
    return OrderCancelled(order.order_id, lines) if order.cancelled else OrderPlaced(order.order_id, lines)


def _unconfirmed_cancel(channel: str, event: object) -> bool:
    """A cancel the channel does not hold cancelled (read back first): nothing is put back."""
    if not isinstance(event, OrderCancelled) or _confirmed_cancelled(channel, event.order_id):
        return False
    logger.warning(
        "a cancel of order %s on %s is not confirmed by the channel: nothing put back",
        event.order_id,
        channel,
    )
    return True


def _confirmed_cancelled(channel_name: str, order_id: str) -> bool:
    """Whether the channel itself holds the order cancelled: a cancel is read back first."""
    channel = channels.get(channel_name)
    if channel is None:
        return False

    def read(client: ChannelClient) -> bool:
        if not isinstance(client, OrderReader):
            raise TypeError(f"the client of channel {channel_name} cannot read an order")
        order = client.read_order(order_id)
        return order is not None and order.cancelled

    return clients.call(channel, read)


def _apply(channel: str, event: object) -> Counter[str]:
    match event:
        case OrderPlaced():
            return _order(channel, event.order_id, event.lines, orders.place, "taken", -1)
        case OrderCancelled():
            return _order(channel, event.order_id, event.lines, orders.cancel, "put_back", +1)
        case VariantSeen():
            return _variant_seen(channel, event)
        case ProductSeen():
            return _product_seen(channel, event)
        case Deleted():
            return _deleted(channel, event)
    return Counter(ignored=1)


def _variant_seen(channel: str, event: VariantSeen) -> Counter[str]:
    link = links.for_inventory_item(channel, event.item)
    if link and event.location and channel_number(link.location_id) != event.location:
        return Counter(other_location=1)  # another location of the item: pushed per location
    return _seen(channel, [(link, event)] if link else [])


def _product_seen(channel: str, event: ProductSeen) -> Counter[str]:
    by_item = {variant.item: variant for variant in event.variants}
    held = links.for_product(channel, event.product)
    return _seen(channel, [(link, by_item.get(channel_number(link.inventory_item_id))) for link in held])


def _deleted(channel: str, event: Deleted) -> Counter[str]:
    """The links of the product or the item deleted, unlinked once the channel confirms them gone."""
    item = links.for_inventory_item(channel, event.number)
    gone = {link.sku: link for link in [*links.for_product(channel, event.number), *([item] if item else [])]}
    return _seen(channel, [(link, None) for link in _confirmed_gone(channel, list(gone.values()))])


def _order(
    channel: str,
    order_id: str,
    lines: tuple[OrderLine, ...],
    apply: Callable[[str, str, OrderLine, orders.Takes | None], int],
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
        moved = apply(channel, order_id, line, locations.order_takes(channel, link, line))
        if moved:
            links.shift_pushed_quantity(channel, line.sku, sign * moved)
        counts[counted] += moved
    return counts


def _confirmed_gone(channel_name: str, held: list[Link]) -> list[Link]:
    """The links whose variant the channel itself no longer has: a delete is read back first."""
    channel = channels.get(channel_name)
    if channel is None or not held:
        return []
    refs = [link.variant_ref() for link in held]
    found = clients.call(channel, lambda client: client.read_variants(refs))
    return [link for link, variant in zip(held, found, strict=True) if variant is None]


def _seen(channel: str, seen: list[tuple[Link, VariantSeen | None]]) -> Counter[str]:
    counts: Counter[str] = Counter()
    now = datetime.now(UTC)
    changed: list[tuple[Link | None, Link]] = []
    pushed_back: dict[str, Link] = {}
    for link, variant in seen:
        after, push_back = after_seen(link, variant, channel, now)
        if after != link:
            changed.append((link, after))
            counts["unlinked" if after.status is LinkStatus.UNLINKED else "out_of_sync"] += 1
        if push_back:
            pushed_back[link.sku] = after
    links.write_changes(changed)
    if pushed_back:
        # the links as just written: not read again
        counts["pushed_back"] = queue_pushes(
            pushed_back, PushOrigin.CHANNEL_EDIT, channel=channel, links_of=pushed_back
        )
    return counts
