"""The sandbox's records and SP-API's words: a listings item, the error body, the usage plans."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

LISTINGS_ROOT = "/listings/2021-08-01/items"
ORDERS_ROOT = "/orders/v0/orders"
FEEDS_ROOT = "/feeds/2021-06-30"
LWA_PATH = "/auth/o2/token"
US_MARKETPLACE = "ATVPDKIKX0DER"
# Marketplace ids the sandbox knows (a few of Amazon's); any other is refused as Amazon refuses it.
MARKETPLACES = {
    "ATVPDKIKX0DER": "USD",  # US
    "A2EUQ1WTGCTBG2": "CAD",  # CA
    "A1F83G8C2ARO7P": "GBP",  # UK
    "A1PA6795UKMFR9": "EUR",  # DE
    "A1VC38T7YXB528": "JPY",  # JP
}
SEARCH_PAGE_MAX = 20  # searchListingsItems' pageSize: 1..20, default 10
SEARCH_PAGE_DEFAULT = 10
FEED_MESSAGES_MAX = 25_000
FEED_BYTES_MAX = 10 * 1024 * 1024
JSON_LISTINGS_FEED = "JSON_LISTINGS_FEED"
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class UsagePlan:
    """A token bucket per seller and application: `rate` requests a second, `burst` at once."""

    rate: float
    burst: int


# The default usage plans the SP-API models document for each operation.
USAGE_PLANS: dict[str, UsagePlan] = {
    "searchListingsItems": UsagePlan(5, 5),
    "getListingsItem": UsagePlan(5, 10),
    "patchListingsItem": UsagePlan(5, 5),
    "deleteListingsItem": UsagePlan(5, 5),
    "createFeedDocument": UsagePlan(0.5, 15),
    "createFeed": UsagePlan(0.0083, 15),
    "getFeed": UsagePlan(2, 15),
    "getFeedDocument": UsagePlan(0.0222, 10),
    "getOrder": UsagePlan(0.5, 30),
}


class SpApiError(Exception):
    """An SP-API error answer: `{"errors": [{"code", "message", "details"}]}`."""

    def __init__(self, status: int, code: str, message: str, details: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, str] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"errors": [error]}


def invalid_input(message: str, details: str = "") -> SpApiError:
    return SpApiError(400, "InvalidInput", message, details)


def denied(details: str) -> SpApiError:
    """What SP-API answers a call whose access token is missing, wrong or expired."""
    return SpApiError(403, "Unauthorized", "Access to requested resource is denied.", details)


@dataclass
class ListingItem:
    """One seller listing (an offer of the seller on an ASIN) in one marketplace, MFN fulfilled."""

    sku: str
    asin: str
    item_name: str
    price: Decimal | None
    quantity: int
    upc: str = ""
    ean: str = ""
    product_type: str = "PRODUCT"
    suppressed: bool = False  # taken off sale by hand in Seller Central (no longer discoverable)
    created: datetime = EPOCH
    updated: datetime = EPOCH
    extra: dict[str, Any] = field(default_factory=dict)  # other attributes a patch set

    def statuses(self) -> list[str]:
        """BUYABLE needs an offer and stock; a suppressed listing is neither buyable nor discoverable."""
        if self.suppressed:
            return []
        buyable = self.price is not None and self.quantity > 0
        return ["BUYABLE", "DISCOVERABLE"] if buyable else ["DISCOVERABLE"]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def asin_of(rng: random.Random) -> str:
    return "B0" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(8))


def random_price(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(300, 19_999)) / 100


def upc12(eleven_digits: int) -> str:
    """A UPC-A with its check digit."""
    digits = f"{eleven_digits:011d}"
    odd = sum(int(d) for d in digits[0::2])
    even = sum(int(d) for d in digits[1::2])
    return digits + str((10 - (odd * 3 + even) % 10) % 10)
