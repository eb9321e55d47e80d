"""Amazon's notifications in Tidemark's words (shared/domain/amazon_notifications.py)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.amazon_notifications import NotAnAmazonNotification, parse_notification
from shared.domain.channel_events import OrderCancelled, OrderLine, OrderPlaced, VariantSeen
from tidemark.sandbox.amazon import AmazonStore

pytestmark = pytest.mark.unit


def sent_by_the_sandbox() -> list[tuple[str, dict[str, Any]]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    store = AmazonStore.generate(5, seed=1, deliver=lambda d, m: sent.append((d, m)))
    store.items["SKU-00002"].quantity = 10
    order = store.place_order([("SKU-00002", 3)])
    store.cancel_order(order["id"])
    return sent


def test_an_mfn_order_change_is_an_order_placed_then_cancelled_with_its_items() -> None:
    orders = [m for d, m in sent_by_the_sandbox() if m["NotificationType"] == "ORDER_CHANGE"]
    placed, cancelled = (parse_notification(m) for m in orders)
    assert placed.seller_id == "A1SANDBOXSELLER" and placed.marketplace_id == "ATVPDKIKX0DER"
    assert isinstance(placed.event, OrderPlaced) and isinstance(cancelled.event, OrderCancelled)
    assert placed.event.order_id == cancelled.event.order_id
    (line,) = placed.event.lines
    assert (line.sku, line.quantity) == ("SKU-00002", 3) and line.line_id.startswith(placed.event.order_id)
    assert placed.notification_id != cancelled.notification_id


def test_an_amazon_fulfilled_order_takes_amazons_stock_and_is_ignored() -> None:
    (_, order), *_ = [(d, m) for d, m in sent_by_the_sandbox() if d == "sqs"]
    order["Payload"]["OrderChangeNotification"]["Summary"]["FulfillmentType"] = "AFN"
    assert parse_notification(order).event is None


def test_a_quantity_change_forwarded_by_eventbridge_is_the_quantity_seen() -> None:
    change = next(
        m for _, m in sent_by_the_sandbox() if m["NotificationType"] == "LISTINGS_ITEM_MFN_QUANTITY_CHANGE"
    )
    wrapped = {
        "version": "0",
        "detail-type": change["NotificationType"],
        "source": "aws.partner/x",
        "detail": change,
    }
    seen = parse_notification(wrapped)
    assert seen.event == VariantSeen("SKU-00002", "SKU-00002", 7)
    assert seen.notification_id == change["NotificationMetadata"]["NotificationId"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"NotificationType": "ORDER_CHANGE"},
        {"NotificationMetadata": {}, "Payload": {}},
        {"NotificationType": "ORDER_CHANGE", "NotificationMetadata": {"NotificationId": "n"}, "Payload": {}},
    ],
)
def test_a_message_not_in_amazons_envelope_is_refused(body: Any) -> None:
    with pytest.raises(NotAnAmazonNotification):
        parse_notification(body)


def test_lines_without_a_sku_or_quantity_are_left_out() -> None:
    body = {
        "NotificationType": "ORDER_CHANGE",
        "NotificationMetadata": {"NotificationId": "n1"},
        "Payload": {
            "OrderChangeNotification": {
                "SellerId": "S",
                "AmazonOrderId": "111-1-1",
                "Summary": {
                    "MarketplaceId": "ATVPDKIKX0DER",
                    "OrderStatus": "Unshipped",
                    "FulfillmentType": "MFN",
                    "OrderItems": [
                        {"OrderItemId": "a", "SellerSKU": "X", "Quantity": 2},
                        {"OrderItemId": "b", "SellerSKU": "", "Quantity": 1},
                        {"OrderItemId": "c", "SellerSKU": "Y", "Quantity": 0},
                    ],
                },
            }
        },
    }
    assert parse_notification(body).event == OrderPlaced("111-1-1", (OrderLine("a", "X", 2),))
