"""What a channel's webhook says, in Tidemark's words: parsed from Shopify's and WooCommerce's
bodies (the fields CHANNELS.md lists), nothing else read.

- an order placed or cancelled: its lines (line id, SKU, quantity);
- a quantity seen on the channel for one inventory item (Shopify) or product / variation (Woo);
- a product's variants as the channel holds them now (Shopify products/update);
- a product, or a WooCommerce product or variation, deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.allocation import Allocation
from shared.domain.channel import ChannelType
from shared.domain.link import Link, LinkStatus, SyncState
from shared.domain.listing import Listing
from shared.domain.syncing import target


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    sku: str
    quantity: int
    location_id: str = ""  # the channel location it was fulfilled from (Shopify: origin_location)


@dataclass(frozen=True)
class OrderPlaced:
    order_id: str
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True)
class OrderCancelled:
    order_id: str
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True)
class VariantSeen:
    """One item as the channel holds it: its inventory item number (what GSI4 finds a link by),
    its SKU when the webhook carries one, its quantity."""

    item: str
    sku: str | None
    quantity: int | None
    location: str = ""  # the location number it is held at, when the webhook says (inventory levels)


@dataclass(frozen=True)
class ProductSeen:
    """A product with every variant it still has (a variant missing from it was deleted)."""

    product: str
    variants: tuple[VariantSeen, ...]


@dataclass(frozen=True)
class Deleted:
    """A product, or a WooCommerce product or variation, gone from the channel."""

    number: str


ChannelEvent = OrderPlaced | OrderCancelled | VariantSeen | ProductSeen | Deleted

# WooCommerce order statuses in which the order's stock is taken (wc_maybe_reduce_stock_levels).
WOO_STOCK_TAKEN = {"processing", "on-hold", "completed"}


def parse(channel_type: ChannelType, topic: str, body: dict[str, Any]) -> ChannelEvent | None:
    """The event a webhook carries; None for a topic or state Tidemark does not act on."""
    if channel_type is ChannelType.SHOPIFY:
        return _shopify(topic, body)
    return _woocommerce(topic, body)


def _lines(body: dict[str, Any]) -> tuple[OrderLine, ...]:
    return tuple(
        OrderLine(
            line_id=str(line["id"]),
            sku=str(line.get("sku") or ""),
            quantity=int(line["quantity"]),
            location_id=_origin(line),
        )
        for line in body.get("line_items", [])
        if line.get("sku") and int(line.get("quantity", 0)) > 0
    )


def _origin(line: dict[str, Any]) -> str:
    """A Shopify line's origin location as the id its links hold (a gid); "" when none is given."""
    origin = line.get("origin_location")
    if isinstance(origin, dict) and origin.get("id"):
        return f"gid://shopify/Location/{origin['id']}"
    return ""


def _shopify(topic: str, body: dict[str, Any]) -> ChannelEvent | None:
    match topic:
        case "orders/create":
            return OrderPlaced(str(body["id"]), _lines(body))
        case "orders/cancelled":
            return OrderCancelled(str(body["id"]), _lines(body))
        case "inventory_levels/update":
            return VariantSeen(
                str(body["inventory_item_id"]),
                None,
                _int(body.get("available")),
                str(body.get("location_id") or ""),
            )
        case "products/update":
            variants = tuple(
                VariantSeen(
                    str(v["inventory_item_id"]), v.get("sku") or "", _int(v.get("inventory_quantity"))
                )
                for v in body.get("variants", [])
            )
            return ProductSeen(str(body["id"]), variants)
        case "products/delete":
            return Deleted(str(body["id"]))
    return None


def _woocommerce(topic: str, body: dict[str, Any]) -> ChannelEvent | None:
    match topic:
        case "order.created":
            taken = body.get("status") in WOO_STOCK_TAKEN
            return OrderPlaced(str(body["id"]), _lines(body)) if taken else None
        case "order.updated":
            if body.get("status") == "cancelled":
                return OrderCancelled(str(body["id"]), _lines(body))
            if body.get("status") in WOO_STOCK_TAKEN:  # a pending order paid later takes its stock now
                return OrderPlaced(str(body["id"]), _lines(body))
            return None
        case "product.updated":
            quantity = _int(body.get("stock_quantity")) if body.get("manage_stock") else None
            return VariantSeen(str(body["id"]), body.get("sku") or "", quantity)
        case "product.deleted":
            return Deleted(str(body["id"]))
    return None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def after_seen(link: Link, seen: VariantSeen | None, channel: str, at: datetime) -> tuple[Link, bool]:
    """The link once the channel told what its variant holds now (None: the variant is gone), and
    whether master's values go back to the channel (a quantity other than the one pushed: master
    wins). A variant deleted, or whose matched SKU changed, unlinks."""
    if seen is None:
        reason = f"variant {link.variant_id} was deleted on '{channel}'"
        return _unlinked(link, reason, at), False
    if link.matched_field == "sku" and seen.sku is not None and seen.sku != link.matched_value:
        reason = (
            f"the sku of variant {link.variant_id} changed on '{channel}' from '{link.matched_value}' "
            f"to '{seen.sku}'"
        )
        return _unlinked(link, reason, at), False
    if seen.quantity is not None and seen.quantity != link.last_pushed_quantity:
        reason = f"quantity: channel {seen.quantity}, last pushed {_text(link.last_pushed_quantity)}"
        changes = {
            "sync_state": SyncState.OUT_OF_SYNC,
            "out_of_sync_reason": reason,
            "last_observed_quantity": seen.quantity,
            "updated_at": at,
        }
        return link.model_copy(update=changes), True
    return link, False


def holds_master(link: Link, listing: Listing, allocated: Allocation | None = None) -> bool:
    """At the moment a push-back would go out: whether the channel, as last seen, holds what master
    would push (quantity, price, status). Then the push-back is needless and not sent.

    A sale's stock webhook that came before its own order looked like a hand edit: by the time its
    push-back is due the order is in master, which then agrees with the channel. A hand edit
    still differs from master, and is overwritten. What master would push is the listing's
    allocation on the channel where it has one."""
    quantity, price = target(listing, allocated)
    return (
        link.status is LinkStatus.LINKED
        and link.last_observed_quantity == quantity
        and (price is None or price == link.last_observed_price)
        and listing.channel_status is link.channel_status
    )


def settled(link: Link, at: datetime) -> Link | None:
    """The link in sync with what its channel was last seen holding, which master agrees with;
    None when it is already."""
    if link.sync_state is SyncState.IN_SYNC and link.last_pushed_quantity == link.last_observed_quantity:
        return None
    changes = {
        "sync_state": SyncState.IN_SYNC,
        "out_of_sync_reason": "",
        "last_pushed_quantity": link.last_observed_quantity,
        "updated_at": at,
    }
    return link.model_copy(update=changes)


def _text(value: int | None) -> str:
    return "nothing" if value is None else str(value)


def _unlinked(link: Link, reason: str, at: datetime) -> Link:
    return link.model_copy(
        update={"status": LinkStatus.UNLINKED, "unlinked_reason": reason, "updated_at": at}
    )
