"""The seller's eBay inventory in memory: inventory items, their offers, the calls that read and
revise them, and what the seller and buyers do on eBay itself (the sandbox admin API)."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tidemark.sandbox.admin import VariantEdit
from tidemark.sandbox.ebay.notifications import Notifier
from tidemark.sandbox.ebay.platform import PlatformNotifier
from tidemark.sandbox.ebay.records import (
    BULK_LIMIT,
    DAILY_REVISIONS,
    MAX_PAGE,
    EbayError,
    InventoryItem,
    Offer,
    Order,
    OrderLine,
    invalid_value,
    offer_not_found,
    sku_not_found,
    user_error,
)
from tidemark.sandbox.faults import FaultRates, Faults
from tidemark.sandbox.webhooks import WebhookSender


class EbayStore:
    """Thread-safe: the API runs on uvicorn's loop while tests and the admin API change it."""

    def __init__(
        self, marketplace_id: str = "EBAY_US", *, seed: int = 0, faults: FaultRates | None = None
    ) -> None:
        self.marketplace_id = marketplace_id
        self.items: dict[str, InventoryItem] = {}
        self.offers: dict[str, Offer] = {}
        self._orders: dict[str, Order] = {}
        self._lock = threading.RLock()
        self._next_id = 5_000_000_000
        self.faults = Faults(faults or FaultRates(), seed=seed)
        self.notifier = Notifier(self.faults)
        self.platform = PlatformNotifier(self.faults)  # the Trading API's, once subscribed
        self.webhooks: WebhookSender | None = None  # the notifications' sender, once subscribed
        self.bulk_calls = 0

    @classmethod
    def generate(cls, count: int, *, seed: int = 0, marketplace_id: str = "EBAY_US") -> EbayStore:
        """`count` items SKU-00001.., each with one offer on the marketplace: every 10th unpublished,
        every 7th without a UPC (blank identifiers), every 13th sharing its UPC with the one before
        (duplicate identifiers, as sellers' feeds have), a few with an EAN only."""
        store = cls(marketplace_id, seed=seed)
        rng = random.Random(seed)
        upc = ""
        for n in range(1, count + 1):
            sku = f"SKU-{n:05d}"
            if n % 13 == 0 and upc:
                pass  # the previous item's UPC again
            elif n % 7 == 0:
                upc = ""
            else:
                upc = f"0{rng.randrange(10**10, 10**11)}"
            ean = [f"4{rng.randrange(10**11, 10**12)}"] if n % 11 == 0 else []
            quantity = rng.randrange(0, 50)
            price = Decimal(rng.randrange(500, 20000)) / 100
            store.add_item(
                sku,
                f"Item {n}",
                quantity,
                price,
                upc=[upc] if upc and not ean else [],
                ean=ean,
                published=n % 10 != 0,
            )
        return store

    def add_item(
        self,
        sku: str,
        title: str,
        quantity: int,
        price: Decimal,
        *,
        upc: list[str] | None = None,
        ean: list[str] | None = None,
        published: bool = True,
    ) -> Offer:
        with self._lock:
            self.items[sku] = InventoryItem(sku, title, quantity, list(upc or []), list(ean or []))
            self._next_id += 1
            offer = Offer(
                str(self._next_id), sku, self.marketplace_id, price, quantity, published, f"11{self._next_id}"
            )
            self.offers[offer.offer_id] = offer
            return offer

    def subscribe(self, endpoint: str, verification_token: str) -> None:
        """Send notifications to `endpoint` from now on, once it answered eBay's challenge."""
        self.notifier.subscribe(endpoint, verification_token)
        self.webhooks = self.notifier.sender

    def subscribe_platform(self, url: str, dev_id: str, app_id: str, cert_id: str) -> None:
        """Send each order's Platform Notifications (FixedPriceTransaction) to `url` from now on."""
        self.platform.subscribe(url, dev_id, app_id, cert_id)

    def close(self) -> None:
        """Stop sending notifications, once those queued went out."""
        self.notifier.close()
        self.platform.close()
        self.webhooks = None

    # -- the Inventory API --------------------------------------------------------------------

    def inventory_items(self, params: Mapping[str, str], base: str) -> dict[str, Any]:
        limit = _int_param(params, "limit", 25, 1, MAX_PAGE)
        offset = _int_param(params, "offset", 0, 0, None)
        with self._lock:
            skus = sorted(self.items)
            page = [self.items[sku].view() for sku in skus[offset : offset + limit]]
        total = len(skus)
        answer: dict[str, Any] = {
            "href": f"{base}/inventory_item?offset={offset}&limit={limit}",
            "inventoryItems": page,
            "limit": limit,
            "size": len(page),
            "total": total,
        }
        if offset + limit < total:
            answer["next"] = f"{base}/inventory_item?offset={offset + limit}&limit={limit}"
        if offset > 0:
            answer["prev"] = f"{base}/inventory_item?offset={max(0, offset - limit)}&limit={limit}"
        return answer

    def inventory_item(self, sku: str) -> dict[str, Any]:
        with self._lock:
            item = self.items.get(sku)
            if item is None:
                raise sku_not_found(sku)
            return item.view()

    def offers_of(self, params: Mapping[str, str]) -> dict[str, Any]:
        """getOffers: `sku` required; `marketplace_id` filters. A SKU without offers is 404 25713."""
        sku = params.get("sku")
        if not sku:
            raise invalid_value("sku", "")
        marketplace = params.get("marketplace_id")
        limit = _int_param(params, "limit", 100, 1, 100)
        offset = _int_param(params, "offset", 0, 0, None)
        with self._lock:
            if sku not in self.items:
                raise sku_not_found(sku)
            found = [
                o for o in self.offers.values() if o.sku == sku and marketplace in (None, o.marketplace_id)
            ]
            if not found:
                raise offer_not_found(sku)
            page = [o.view() for o in found[offset : offset + limit]]
        return {"href": "", "limit": limit, "offers": page, "size": len(page), "total": len(found)}

    def offer(self, offer_id: str) -> dict[str, Any]:
        with self._lock:
            return self._offer(offer_id).view()

    def _offer(self, offer_id: str) -> Offer:
        offer = self.offers.get(offer_id)
        if offer is None:
            raise offer_not_found(offer_id)
        return offer

    def bulk_update(self, body: Any) -> tuple[dict[str, Any], int]:
        """bulkUpdatePriceQuantity: at most 25 requests; each SKU's ship-to-home quantity and its
        published offers' quantity and price. HTTP 200 when every entry succeeded, else 207."""
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            raise invalid_value("requests", requests)
        if len(requests) > BULK_LIMIT:
            raise user_error(f"The number of requests exceeds the limit of {BULK_LIMIT}.")
        responses: list[dict[str, Any]] = []
        with self._lock:
            self.bulk_calls += 1
            for request in requests:
                responses += self._update_one(request)
        status = 200 if all(r["statusCode"] == 200 for r in responses) else 207
        return {"responses": responses}, status

    def _update_one(self, request: Any) -> list[dict[str, Any]]:
        sku = request.get("sku") if isinstance(request, dict) else None
        if not isinstance(sku, str) or sku not in self.items:
            error = sku_not_found(str(sku))
            return [{"statusCode": error.status, "sku": str(sku), "errors": [error.detail()]}]
        item = self.items[sku]
        responses: list[dict[str, Any]] = []
        ship = request.get("shipToLocationAvailability")
        offers = request.get("offers") or []
        if isinstance(ship, dict):
            try:
                item.quantity = _quantity(ship.get("quantity"), "shipToLocationAvailability.quantity")
                if not offers:
                    responses.append({"statusCode": 200, "sku": sku})
            except EbayError as error:
                return [{"statusCode": error.status, "sku": sku, "errors": [error.detail()]}]
        for entry in offers:
            responses.append(self._update_offer(sku, entry))
        return responses

    def _update_offer(self, sku: str, entry: Any) -> dict[str, Any]:
        offer_id = str(entry.get("offerId")) if isinstance(entry, dict) else ""
        try:
            offer = self._offer(offer_id)
            if offer.sku != sku:
                raise user_error(f"Offer {offer_id} is not an offer of SKU {sku}.")
            if not offer.published:
                raise user_error(
                    f"Offer {offer_id} is not published; use updateOffer for an unpublished offer."
                )
            if offer.revisions >= DAILY_REVISIONS:
                raise user_error(
                    f"Listing {offer.listing_id} reached its {DAILY_REVISIONS} revisions for today; "
                    "revise it tomorrow."
                )
            quantity = entry.get("availableQuantity")
            price = entry.get("price")
            new_quantity = None if quantity is None else _quantity(quantity, "availableQuantity")
            new_price = None if price is None else _price(price, offer.currency)
        except EbayError as error:
            answer = {"statusCode": error.status, "sku": sku, "errors": [error.detail()]}
            return {**answer, "offerId": offer_id} if offer_id else answer
        if new_quantity is not None:
            offer.available_quantity = new_quantity
        if new_price is not None:
            offer.price = new_price
        offer.revisions += 1
        return {"statusCode": 200, "sku": sku, "offerId": offer_id}

    def withdraw(self, offer_id: str) -> dict[str, Any]:
        """withdrawOffer: ends the listing; the offer stays, unpublished."""
        with self._lock:
            offer = self._offer(offer_id)
            if not offer.published:
                raise user_error(f"Offer {offer_id} is not published: there is no listing to end.")
            offer.published = False
            self._notify_availability(offer)
            return {"listingId": offer.listing_id, "warnings": []}

    def publish(self, offer_id: str) -> dict[str, Any]:
        """publishOffer: lists it (again); publishing a published offer revises its listing."""
        with self._lock:
            offer = self._offer(offer_id)
            offer.published = True
            offer.revisions += 1
            self._notify_availability(offer)
            return {"listingId": offer.listing_id, "warnings": []}

    # -- the sandbox admin API (admin.SandboxAdmin) --------------------------------------------

    def variant_rows(self) -> list[dict[str, Any]]:
        with self._lock:
            return [self._row(offer) for offer in self._market_offers()]

    def _market_offers(self) -> list[Offer]:
        offers = [o for o in self.offers.values() if o.marketplace_id == self.marketplace_id]
        return sorted(offers, key=lambda o: o.sku)

    def _row(self, offer: Offer) -> dict[str, Any]:
        return {
            "sku": offer.sku,
            "quantity": offer.available_quantity,
            "price": f"{offer.price:.2f}",
            "status": "active" if offer.published else "hidden",
            "offer_id": offer.offer_id,
            "listing_id": offer.listing_id,
            "revisions": offer.revisions,
        }

    def quantity(self, sku: str) -> int:
        """The listing's quantity on the marketplace (its offer's available quantity)."""
        with self._lock:
            return self._by_sku(sku).available_quantity

    def _by_sku(self, sku: str) -> Offer:
        for offer in self._market_offers():
            if offer.sku == sku:
                return offer
        raise KeyError(f"no offer has SKU {sku!r}: see GET /admin/sandbox/variants")

    def edit_by_hand(self, sku: str, edit: VariantEdit) -> dict[str, Any]:
        """The seller revising the listing in Seller Hub (a revision, as eBay counts it)."""
        with self._lock:
            offer = self._by_sku(sku)
            if "sku" in edit:
                raise ValueError(
                    "sku: an eBay inventory item's SKU cannot change; delete it and create another"
                )
            if "quantity" in edit:
                offer.available_quantity = edit["quantity"]
                self.items[sku].quantity = edit["quantity"]
            if "price" in edit:
                offer.price = edit["price"]
            if "status" in edit:
                offer.published = edit["status"] == "active"
            offer.revisions += 1
            self._notify_availability(offer)
            return self._row(offer)

    def delete_by_hand(self, sku: str) -> None:
        """deleteInventoryItem: the item and its offers go (their listings end)."""
        with self._lock:
            offer = self._by_sku(sku)
            del self.items[sku]
            for offer_id in [o.offer_id for o in self.offers.values() if o.sku == sku]:
                del self.offers[offer_id]
            offer.published = False
            self._notify_availability(offer)

    def place_order(self, lines: list[tuple[str, int]]) -> dict[str, Any]:
        """A buyer's paid order: each line's quantity comes off its listing and its inventory item."""
        with self._lock:
            offers = []
            for sku, _ in lines:
                try:
                    offer = self._by_sku(sku)
                except KeyError:
                    raise ValueError(
                        f"no listing has SKU {sku!r}: order one of GET /admin/sandbox/variants"
                    ) from None
                if not offer.published:
                    raise ValueError(f"the listing of SKU {sku!r} has ended: a buyer cannot order it")
                offers.append(offer)
            self._next_id += 1
            order = Order(f"27-{self._next_id}-{self._next_id % 99991:05d}", [], _now())
            for number, (offer, (sku, quantity)) in enumerate(zip(offers, lines, strict=True), start=1):
                offer.available_quantity = max(0, offer.available_quantity - quantity)
                item = self.items[sku]
                item.quantity = max(0, item.quantity - quantity)
                order.lines.append(OrderLine(f"{self._next_id}{number:03d}", sku, offer, quantity))
            self._orders[order.order_id] = order
            for _ in order.lines:  # one ORDER_CONFIRMATION per line item, as eBay sends them
                self.notifier.send("ORDER_CONFIRMATION", {"orderId": order.order_id})
            self.platform.send_order(order)  # and a FixedPriceTransaction per line, to a subscriber
            return order.view()

    def order(self, order_id: str) -> dict[str, Any]:
        """getOrder."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise EbayError(
                    404, 32100, f"No order found for order ID {order_id}.", domain="API_FULFILLMENT"
                )
            return order.view()

    def cancel_order(self, order_id: int) -> dict[str, Any]:
        with self._lock:
            order = next(
                (o for o in self._orders.values() if o.order_id.split("-")[1] == str(order_id)), None
            )
            if order is None:
                raise KeyError(f"no order {order_id}: see GET /admin/sandbox/orders")
            if order.status == "CANCELLED":
                raise ValueError(f"order {order_id} is already cancelled")
            order.status = "CANCELLED"
            for line in order.lines:
                if line.offer.offer_id in self.offers:
                    line.offer.available_quantity += line.quantity
                    self.items[line.sku].quantity += line.quantity
            return order.view()

    def orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [order.view() for order in self._orders.values()]

    def _notify_availability(self, offer: Offer) -> None:
        self.notifier.send(
            "ITEM_AVAILABILITY",
            {
                "itemId": offer.listing_id,
                "listingMarketplaceId": offer.marketplace_id,
                "sku": offer.sku,
                "availabilityType": "AVAILABLE"
                if offer.published and offer.available_quantity
                else "UNAVAILABLE",
            },
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"


def _int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_value(name, raw) from None
    if value < low or (high is not None and value > high):
        raise invalid_value(name, raw)
    return value


def _quantity(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid_value(name, value)
    return value


def _price(value: Any, currency: str) -> Decimal:
    if not isinstance(value, dict):
        raise invalid_value("price", value)
    if value.get("currency", currency) != currency:
        raise invalid_value("price.currency", value.get("currency"))
    try:
        amount = Decimal(str(value.get("value")))
    except InvalidOperation:
        raise invalid_value("price.value", value.get("value")) from None
    if not amount.is_finite() or amount <= 0:
        raise invalid_value("price.value", value.get("value"))
    return amount
