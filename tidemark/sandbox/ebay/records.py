"""The eBay sandbox's records and its error answers, as the Sell Inventory API v1 shapes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

INVENTORY_ROOT = "/sell/inventory/v1"
TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 (a path)
RATE_LIMIT_PATH = "/developer/analytics/v1_beta/rate_limit/"
PUBLIC_KEY_PATH = "/commerce/notification/v1/public_key"

INVENTORY_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.inventory"
APP_SCOPE = "https://api.ebay.com/oauth/api_scope"
FULFILLMENT_SCOPE = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
FULFILLMENT_ROOT = "/sell/fulfillment/v1"

MAX_PAGE = 200  # getInventoryItems' limit, 1..200 (CHANNELS.md)
BULK_LIMIT = 25  # requests in one bulk_update_price_quantity
DAILY_REVISIONS = 250  # revisions of one listing a calendar day
CURRENCY = {"EBAY_US": "USD", "EBAY_GB": "GBP", "EBAY_DE": "EUR", "EBAY_AU": "AUD", "EBAY_CA": "CAD"}


class EbayError(Exception):
    """An answer of eBay's REST error shape: `{"errors": [{errorId, domain, category, message, ...}]}`."""

    def __init__(
        self,
        status: int,
        error_id: int,
        message: str,
        *,
        domain: str = "API_INVENTORY",
        category: str = "REQUEST",
        parameters: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_id = error_id
        self.message = message
        self.domain = domain
        self.category = category
        self.parameters = parameters or {}

    def detail(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "errorId": self.error_id,
            "domain": self.domain,
            "subdomain": "Selling" if self.domain == "API_INVENTORY" else self.domain,
            "category": self.category,
            "message": self.message,
            "longMessage": self.message,
        }
        if self.parameters:
            item["parameters"] = [{"name": k, "value": v} for k, v in self.parameters.items()]
        return item

    def body(self) -> dict[str, Any]:
        return {"errors": [self.detail()]}


def invalid_token() -> EbayError:
    return EbayError(
        401,
        1001,
        "Invalid access token. Check the value of the Authorization HTTP request header.",
        domain="OAuth",
    )


def access_denied() -> EbayError:
    return EbayError(
        403, 1100, "Access denied. Insufficient permissions to fulfill the request.", domain="ACCESS"
    )


def quota_spent() -> EbayError:
    return EbayError(
        429, 2001, "Too many requests. The request limit has been reached for the resource.", domain="ACCESS"
    )


def invalid_value(name: str, value: object) -> EbayError:
    return EbayError(
        400, 25709, f"Invalid value for {name}.", parameters={"fieldName": name, "value": str(value)}
    )


def sku_not_found(sku: str) -> EbayError:
    return EbayError(404, 25702, f"SKU {sku} is not available in the system", parameters={"sku": sku})


def offer_not_found(offer_id: str) -> EbayError:
    return EbayError(
        404, 25713, f"This Offer is not available : {offer_id}.", parameters={"offerId": offer_id}
    )


def user_error(message: str) -> EbayError:
    """25002: the API's "A user error has occurred" with what it is about."""
    return EbayError(400, 25002, f"A user error has occurred. {message}")


@dataclass
class InventoryItem:
    sku: str
    title: str
    quantity: int
    upc: list[str] = field(default_factory=list)
    ean: list[str] = field(default_factory=list)
    mpn: str = ""

    def view(self) -> dict[str, Any]:
        product: dict[str, Any] = {"title": self.title, "aspects": {}}
        if self.upc:
            product["upc"] = list(self.upc)
        if self.ean:
            product["ean"] = list(self.ean)
        if self.mpn:
            product["mpn"] = self.mpn
        return {
            "sku": self.sku,
            "locale": "en_US",
            "product": product,
            "condition": "NEW",
            "availability": {"shipToLocationAvailability": {"quantity": self.quantity}},
        }


@dataclass
class Offer:
    offer_id: str
    sku: str
    marketplace_id: str
    price: Decimal
    available_quantity: int
    published: bool
    listing_id: str
    revisions: int = 0  # revisions of its listing today

    @property
    def currency(self) -> str:
        return CURRENCY.get(self.marketplace_id, "USD")

    def view(self) -> dict[str, Any]:
        offer: dict[str, Any] = {
            "offerId": self.offer_id,
            "sku": self.sku,
            "marketplaceId": self.marketplace_id,
            "format": "FIXED_PRICE",
            "availableQuantity": self.available_quantity,
            "pricingSummary": {"price": {"value": f"{self.price:.2f}", "currency": self.currency}},
            "listingPolicies": {},
            "merchantLocationKey": "default",
            "status": "PUBLISHED" if self.published else "UNPUBLISHED",
        }
        if self.published:
            offer["listing"] = {"listingId": self.listing_id, "listingStatus": "ACTIVE", "soldQuantity": 0}
        return offer


@dataclass
class OrderLine:
    line_item_id: str
    sku: str
    offer: Offer
    quantity: int


@dataclass
class Order:
    order_id: str
    lines: list[OrderLine]
    created: str
    status: str = "PAID"

    def view(self) -> dict[str, Any]:
        """getOrder's answer (the Fulfillment API), with the fields the sandbox keeps."""
        return {
            "orderId": self.order_id,
            "creationDate": self.created,
            "orderFulfillmentStatus": "NOT_STARTED",
            "orderPaymentStatus": "PAID",
            "cancelStatus": {"cancelState": "CANCELED" if self.status == "CANCELLED" else "NONE_REQUESTED"},
            "lineItems": [
                {
                    "lineItemId": line.line_item_id,
                    "legacyItemId": line.offer.listing_id,
                    "sku": line.sku,
                    "title": f"Item {line.sku}",
                    "quantity": line.quantity,
                    "lineItemFulfillmentStatus": "NOT_STARTED",
                }
                for line in self.lines
            ],
        }
