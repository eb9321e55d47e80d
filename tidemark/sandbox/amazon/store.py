"""The seller's listings in one marketplace: reads, patches, a shopper's orders, and the
notifications Amazon sends for them."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Self

from tidemark.sandbox.admin import VariantEdit
from tidemark.sandbox.amazon.patching import apply, check_patches, issue
from tidemark.sandbox.amazon.records import (
    EPOCH,
    MARKETPLACES,
    US_MARKETPLACE,
    ListingItem,
    SpApiError,
    asin_of,
    invalid_input,
    iso,
    random_price,
    upc12,
)
from tidemark.sandbox.amazon.views import (
    filtered,
    included_data,
    item_view,
    page_size,
    page_start,
    page_token,
)
from tidemark.sandbox.faults import Faults
from tidemark.sandbox.webhooks import WebhookSender

# Where a notification goes: "sqs" (ORDER_CHANGE) or "eventbridge" (the listings notifications).
Deliver = Callable[[str, dict[str, Any]], None]
SEARCH_LIMIT = 1000  # searchListingsItems pages through at most 1,000 items of one search


class AmazonStore:
    """One seller's listings in one marketplace. Thread-safe."""

    def __init__(
        self,
        seller_id: str = "A1SANDBOXSELLER",
        marketplace_id: str = US_MARKETPLACE,
        *,
        faults: Faults | None = None,
        deliver: Deliver | None = None,
        application_id: str = "amzn1.sp.solution.sandbox",
        search_limit: int = SEARCH_LIMIT,
    ) -> None:
        self.seller_id = seller_id
        self.marketplace_id = marketplace_id
        self.currency = MARKETPLACES[marketplace_id]
        self.faults = faults or Faults()
        self.webhooks: WebhookSender | None = (
            None  # Amazon has no HTTP webhooks: notifications go to `deliver`
        )
        self.deliver = deliver
        self.application_id = application_id
        self.search_limit = search_limit
        self.items: dict[str, ListingItem] = {}
        self.notifications: list[dict[str, Any]] = []  # every notification sent, duplicates once
        self._orders: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._rng = random.Random(0)

    @classmethod
    def generate(
        cls, listings: int, seed: int = 0, shared_upcs: int = 0, blank_identifiers: int = 0, **options: Any
    ) -> Self:
        """`listings` SKUs `SKU-00001` .. with an ASIN each, a UPC (blank on `blank_identifiers` of
        them, and `shared_upcs` more listings reusing one: Amazon's SKUs are unique per seller, so
        its duplicates are identifiers, two offers of one product), a price and stock."""
        rng = random.Random(seed)
        store = cls(**options)
        store._rng = random.Random(seed + 1)
        blank = set(rng.sample(range(listings), min(blank_identifiers, listings)))
        for position in range(listings):
            store._add(
                ListingItem(
                    sku=f"SKU-{position + 1:05d}",
                    asin=asin_of(rng),
                    item_name=f"Product {position + 1}",
                    price=random_price(rng),
                    quantity=rng.randint(0, 50),
                    upc="" if position in blank else upc12(40_000_000_000 + position),
                    created=EPOCH + timedelta(minutes=position),
                    updated=EPOCH + timedelta(minutes=position),
                )
            )
        shared = [item for item in store.items.values() if item.upc]
        for number in range(min(shared_upcs, len(shared))):
            twin = rng.choice(shared)
            store._add(
                ListingItem(
                    sku=f"{twin.sku}-USED-{number + 1}",
                    asin=twin.asin,
                    item_name=f"{twin.item_name} (used)",
                    price=random_price(rng),
                    quantity=rng.randint(0, 5),
                    upc=twin.upc,
                    created=EPOCH + timedelta(minutes=listings + number),
                    updated=EPOCH + timedelta(minutes=listings + number),
                )
            )
        return store

    def _add(self, item: ListingItem) -> None:
        self.items[item.sku] = item

    def close(self) -> None:
        return None

    # -- SP-API ---------------------------------------------------------------------------------

    def check_seller(self, seller_id: str, token_seller: str) -> None:
        if seller_id != self.seller_id or token_seller != self.seller_id:
            raise SpApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                f"The access token does not belong to seller '{seller_id}'.",
            )

    def check_marketplaces(self, given: str | None) -> None:
        ids = [part for part in (given or "").split(",") if part]
        if not ids:
            raise invalid_input("Missing required 'marketplaceIds'.")
        if len(ids) > 1:
            raise invalid_input("Only one marketplace id is supported: 'marketplaceIds' has more.")
        if ids[0] not in MARKETPLACES:
            raise invalid_input(f"Invalid 'marketplaceIds' provided: {ids[0]}.")
        if ids[0] != self.marketplace_id:
            raise SpApiError(
                403,
                "Unauthorized",
                "Access to requested resource is denied.",
                f"The seller does not sell in marketplace {ids[0]}.",
            )

    def item_view(self, item: ListingItem, included: tuple[str, ...]) -> dict[str, Any]:
        return item_view(item, included, self.marketplace_id, self.currency)

    def get_item(self, sku: str, included: tuple[str, ...]) -> dict[str, Any]:
        with self._lock:
            item = self.items.get(sku)
            if item is None:
                raise SpApiError(
                    404, "NOT_FOUND", f"SKU '{sku}' not found in marketplace {self.marketplace_id}"
                )
            return self.item_view(item, included)

    def search(self, params: Mapping[str, str]) -> dict[str, Any]:
        """searchListingsItems: filters, sorting and pages of 1..20 (a pageToken continues)."""
        size = page_size(params.get("pageSize"))
        included = included_data(params.get("includedData"))
        with self._lock:
            found = filtered(list(self.items.values()), params)
            total = len(found)
            start = page_start(params.get("pageToken"))
            end = min(start + size, total, self.search_limit)
            page = found[start:end] if start < end else []
            answer: dict[str, Any] = {
                "numberOfResults": total,
                "items": [self.item_view(i, included) for i in page],
            }
        pagination: dict[str, str] = {}
        if end < min(total, self.search_limit):
            pagination["nextToken"] = page_token(end)
        if start > 0:
            pagination["previousToken"] = page_token(max(0, start - size))
        if pagination:
            answer["pagination"] = pagination
        return answer

    def patch(self, sku: str, body: Any, *, preview: bool) -> dict[str, Any]:
        """patchListingsItem: INVALID with the issues, or ACCEPTED (VALID in a preview) and applied."""
        submission = uuid.uuid4().hex
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("productType"), str)
            or not body["productType"]
        ):
            raise invalid_input("Request body must hold 'productType' and 'patches'.")
        with self._lock:
            item = self.items.get(sku)
            if item is None:
                found = [
                    issue(
                        "4000003",
                        f"SKU '{sku}' does not exist in marketplace {self.marketplace_id}: "
                        "create it with putListingsItem first.",
                    )
                ]
                return {"sku": sku, "status": "INVALID", "submissionId": submission, "issues": found}
            found, changes = check_patches(body.get("patches"), self.marketplace_id, self.currency)
            if found:
                return {"sku": sku, "status": "INVALID", "submissionId": submission, "issues": found}
            if not preview:
                self._change(item, changes)
        return {
            "sku": sku,
            "status": "VALID" if preview else "ACCEPTED",
            "submissionId": submission,
            "issues": [],
        }

    def apply_message(self, message: Any) -> list[dict[str, Any]]:
        """One JSON_LISTINGS_FEED message (PATCH, PARTIAL_UPDATE or DELETE): its issues."""
        if not isinstance(message, dict) or not isinstance(message.get("sku"), str):
            return [issue("4000001", "A message needs 'messageId', 'sku' and 'operationType'.")]
        operation = message.get("operationType")
        with self._lock:
            item = self.items.get(message["sku"])
            if operation == "DELETE":
                self.items.pop(message["sku"], None)
                return []
            if item is None:
                return [
                    issue(
                        "4000003",
                        f"SKU '{message['sku']}' does not exist in marketplace {self.marketplace_id}.",
                    )
                ]
            if operation == "PATCH":
                patches = message.get("patches")
            elif operation == "PARTIAL_UPDATE" and isinstance(message.get("attributes"), dict):
                patches = [
                    {"op": "replace", "path": f"/attributes/{k}", "value": v}
                    for k, v in message["attributes"].items()
                ]
            else:
                return [
                    issue("4000001", f"'operationType' {operation!r}: use PATCH, PARTIAL_UPDATE or DELETE.")
                ]
            found, changes = check_patches(patches, self.marketplace_id, self.currency)
            if not found:
                self._change(item, changes)
            return found

    def _change(self, item: ListingItem, changes: list[Any]) -> None:
        before = (item.quantity, tuple(item.statuses()))
        apply(item, changes)
        item.updated = datetime.now(UTC)
        self._notify_listing(item, before)

    # -- notifications -------------------------------------------------------------------------

    def _notify_listing(self, item: ListingItem, before: tuple[int, tuple[str, ...]]) -> None:
        if item.quantity != before[0]:
            self._send(
                "eventbridge",
                "LISTINGS_ITEM_MFN_QUANTITY_CHANGE",
                {
                    "SellerId": self.seller_id,
                    "FulfillmentChannelCode": "DEFAULT",
                    "Sku": item.sku,
                    "Quantity": item.quantity,
                },
            )
        if tuple(item.statuses()) != before[1]:
            self._send(
                "eventbridge",
                "LISTINGS_ITEM_STATUS_CHANGE",
                {
                    "SellerId": self.seller_id,
                    "MarketplaceId": self.marketplace_id,
                    "Asin": item.asin,
                    "Sku": item.sku,
                    "CreatedDate": iso(item.created),
                    "Status": item.statuses(),
                },
            )

    def _send(self, destination: str, kind: str, payload: dict[str, Any]) -> None:
        now = iso(datetime.now(UTC))
        body_key = "OrderChangeNotification" if kind == "ORDER_CHANGE" else None
        envelope = {
            "NotificationVersion": "1.0",
            "NotificationType": kind,
            "PayloadVersion": "1.0",
            "EventTime": now,
            "Payload": {body_key: payload} if body_key else payload,
            "NotificationMetadata": {
                "ApplicationId": self.application_id,
                "SubscriptionId": f"sandbox-{kind.lower()}",
                "PublishTime": now,
                "NotificationId": str(uuid.uuid4()),
            },
        }
        self.notifications.append(envelope)
        if self.deliver is None or self.faults.draw("webhook_drop"):
            return
        self.deliver(destination, envelope)
        if self.faults.draw("webhook_duplicate"):
            self.deliver(destination, envelope)  # at least once: the same NotificationId again

    # -- the sandbox admin API (tidemark/sandbox/admin.py) --------------------------------------

    def variant_rows(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._row(item) for item in self.items.values()]

    def _row(self, item: ListingItem) -> dict[str, Any]:
        return {
            "sku": item.sku,
            "asin": item.asin,
            "upc": item.upc,
            "quantity": item.quantity,
            "price": None if item.price is None else f"{item.price:.2f}",
            "status": "hidden" if item.suppressed else "active",
            "amazon_status": item.statuses(),
        }

    def edit_by_hand(self, sku: str, edit: VariantEdit) -> dict[str, Any]:
        """An edit in Seller Central: quantity, price, suppressed (status hidden), or a new SKU."""
        with self._lock:
            item = self.items.get(sku)
            if item is None:
                raise KeyError(f"no listing has SKU '{sku}'")
            before = (item.quantity, tuple(item.statuses()))
            if "quantity" in edit:
                item.quantity = edit["quantity"]
            if "price" in edit:
                item.price = Decimal(edit["price"])
            if "status" in edit:
                item.suppressed = edit["status"] == "hidden"
            if "sku" in edit and edit["sku"] != sku:
                if not edit["sku"] or edit["sku"] in self.items:
                    raise ValueError(
                        f"sku: '{edit['sku']}' is blank or taken; Amazon's SKUs are unique per seller"
                    )
                del self.items[sku]
                item.sku = edit["sku"]
                self.items[item.sku] = item
            item.updated = datetime.now(UTC)
            self._notify_listing(item, before)
            return self._row(item)

    def delete_by_hand(self, sku: str) -> None:
        with self._lock:
            if self.items.pop(sku, None) is None:
                raise KeyError(f"no listing has SKU '{sku}'")

    def place_order(self, lines: list[tuple[str, int]]) -> dict[str, Any]:
        """A shopper's MFN order: stock taken off each SKU, then ORDER_CHANGE (Unshipped)."""
        with self._lock:
            for sku, _ in lines:
                if sku not in self.items:
                    raise ValueError(f"lines: no listing has SKU '{sku}'")
            rng = self._rng
            order_id = (
                f"11{rng.randint(1, 9)}-{rng.randint(0, 9_999_999):07d}-{rng.randint(0, 9_999_999):07d}"
            )
            items = []
            for number, (sku, quantity) in enumerate(lines):
                item = self.items[sku]
                before = (item.quantity, tuple(item.statuses()))
                item.quantity = max(0, item.quantity - quantity)
                item.updated = datetime.now(UTC)
                self._notify_listing(item, before)
                items.append(
                    {
                        "OrderItemId": f"{order_id}-{number + 1}",
                        "SellerSKU": sku,
                        "SupplySourceId": None,
                        "OrderItemStatus": "Unshipped",
                        "Quantity": quantity,
                        "QuantityShipped": 0,
                    }
                )
            order = {
                "id": order_id,
                "status": "Unshipped",
                "lines": [{"sku": s, "quantity": q} for s, q in lines],
                "items": items,
                "purchased": iso(datetime.now(UTC)),
            }
            self._orders.append(order)
        self._order_change(order)
        return _public(order)

    def cancel_order(self, order_id: int | str) -> dict[str, Any]:
        """The order cancelled: its stock given back, then ORDER_CHANGE (Canceled)."""
        with self._lock:
            order = next((o for o in self._orders if o["id"] == str(order_id)), None)
            if order is None:
                raise KeyError(f"no order {order_id}")
            if order["status"] == "Canceled":
                raise ValueError(f"order {order_id} is already cancelled")
            order["status"] = "Canceled"
            for line in order["lines"]:
                item = self.items.get(line["sku"])
                if item is not None:
                    before = (item.quantity, tuple(item.statuses()))
                    item.quantity += line["quantity"]
                    self._notify_listing(item, before)
        self._order_change(order)
        return _public(order)

    def get_order(self, order_id: str) -> dict[str, Any]:
        """getOrder's payload: the order's status as Amazon holds it now."""
        with self._lock:
            order = next((o for o in self._orders if o["id"] == order_id), None)
            if order is None:
                raise SpApiError(404, "NotFound", f"Order {order_id} not found.")
            return {
                "payload": {
                    "AmazonOrderId": order["id"],
                    "PurchaseDate": order["purchased"],
                    "LastUpdateDate": iso(datetime.now(UTC)),
                    "OrderStatus": order["status"],
                    "FulfillmentChannel": "MFN",
                    "MarketplaceId": self.marketplace_id,
                    "NumberOfItemsUnshipped": sum(line["quantity"] for line in order["lines"]),
                }
            }

    def orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_public(o) for o in self._orders]

    def _order_change(self, order: dict[str, Any]) -> None:
        self._send(
            "sqs",
            "ORDER_CHANGE",
            {
                "NotificationLevel": "OrderLevel",
                "SellerId": self.seller_id,
                "AmazonOrderId": order["id"],
                "OrderChangeType": "OrderStatusChange",
                "OrderChangeTrigger": {
                    "TimeOfOrderChange": iso(datetime.now(UTC)),
                    "ChangeReason": "Order status changed",
                },
                "Summary": {
                    "MarketplaceId": self.marketplace_id,
                    "OrderStatus": order["status"],
                    "PurchaseDate": order["purchased"],
                    "DestinationPostalCode": "98101",
                    "FulfillmentType": "MFN",
                    "OrderType": "StandardOrder",
                    "NumberOfItemsShipped": 0,
                    "NumberOfItemsUnshipped": sum(line["quantity"] for line in order["lines"]),
                    "OrderItems": order["items"],
                },
            },
        )


def _public(order: dict[str, Any]) -> dict[str, Any]:
    return {"id": order["id"], "status": order["status"], "lines": order["lines"]}
