"""What an Amazon notification says, in Tidemark's words. Amazon sends no webhooks: its
notifications reach an SQS queue (ORDER_CHANGE) or an EventBridge partner bus (the listings ones,
which a rule forwards to the same queue, wrapped in EventBridge's envelope). Each carries a
NotificationId, the same on every delivery of it (at least once).

- ORDER_CHANGE of a merchant-fulfilled order: placed (Pending, Unshipped, PartiallyShipped,
  Shipped: Amazon holds the stock from the order on) or Canceled, its items' SellerSKU and Quantity;
  an Amazon-fulfilled (AFN/FBA) order takes Amazon's stock, not the merchant's, and is ignored.
- LISTINGS_ITEM_MFN_QUANTITY_CHANGE: the quantity a SKU holds now (a hand edit, or our own push).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.domain.channel_events import ChannelEvent, OrderCancelled, OrderLine, OrderPlaced, VariantSeen
from shared.domain.link import channel_number

PLACED = frozenset({"Pending", "Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed"})
CANCELLED = "Canceled"


class NotAnAmazonNotification(ValueError):
    """A message on the queue that is not in Amazon's notification envelope."""


@dataclass(frozen=True)
class AmazonNotification:
    notification_id: str
    kind: str
    seller_id: str
    marketplace_id: str | None  # None where the notification names no marketplace
    event: ChannelEvent | None  # None: nothing for Tidemark to do


def parse_notification(body: Any) -> AmazonNotification:
    """The notification in an SQS message body (Amazon's envelope, or EventBridge's around it)."""
    body = _envelope(body)
    metadata = body.get("NotificationMetadata")
    payload = body.get("Payload")
    kind = body.get("NotificationType")
    if not isinstance(metadata, dict) or not metadata.get("NotificationId") or not isinstance(payload, dict):
        raise NotAnAmazonNotification("the message has no NotificationMetadata.NotificationId or Payload")
    notification_id = str(metadata["NotificationId"])
    if kind == "ORDER_CHANGE":
        return _order_change(notification_id, payload)
    if kind == "LISTINGS_ITEM_MFN_QUANTITY_CHANGE":
        return _quantity_change(notification_id, payload)
    seller = str(payload.get("SellerId", ""))
    return AmazonNotification(notification_id, str(kind or ""), seller, payload.get("MarketplaceId"), None)


def _envelope(body: Any) -> dict[str, Any]:
    """Amazon's envelope, taken out of EventBridge's where the template's rule forwarded it from the
    partner event bus."""
    if isinstance(body, dict) and isinstance(body.get("detail"), dict) and "detail-type" in body:
        body = body["detail"]
    if not isinstance(body, dict):
        raise NotAnAmazonNotification("the message is not a JSON object")
    return body


def _order_change(notification_id: str, payload: dict[str, Any]) -> AmazonNotification:
    change = payload.get("OrderChangeNotification")
    if not isinstance(change, dict):
        raise NotAnAmazonNotification("ORDER_CHANGE without OrderChangeNotification")
    given = change.get("Summary")
    summary: dict[str, Any] = given if isinstance(given, dict) else {}
    return AmazonNotification(
        notification_id,
        "ORDER_CHANGE",
        str(change.get("SellerId", "")),
        summary.get("MarketplaceId"),
        _order(str(change.get("AmazonOrderId", "")), summary),
    )


def _quantity_change(notification_id: str, payload: dict[str, Any]) -> AmazonNotification:
    sku, quantity = str(payload.get("Sku") or ""), payload.get("Quantity")
    seen = VariantSeen(channel_number(sku), sku, int(quantity)) if sku and isinstance(quantity, int) else None
    return AmazonNotification(
        notification_id, "LISTINGS_ITEM_MFN_QUANTITY_CHANGE", str(payload.get("SellerId", "")), None, seen
    )


def _order(order_id: str, summary: dict[str, Any]) -> ChannelEvent | None:
    if summary.get("FulfillmentType") != "MFN" or not order_id:
        return None
    lines = _order_lines(summary)
    status = summary.get("OrderStatus")
    if status in PLACED:
        return OrderPlaced(order_id, lines)
    if status == CANCELLED:
        return OrderCancelled(order_id, lines)
    return None


def _order_lines(summary: dict[str, Any]) -> tuple[OrderLine, ...]:
    """The order's items that name their SKU and item id, with a quantity above 0."""
    return tuple(
        OrderLine(
            line_id=str(item["OrderItemId"]), sku=str(item["SellerSKU"]), quantity=int(item["Quantity"])
        )
        for item in summary.get("OrderItems") or []
        if isinstance(item, dict)
        and item.get("SellerSKU")
        and item.get("OrderItemId")
        and int(item.get("Quantity") or 0) > 0
    )
