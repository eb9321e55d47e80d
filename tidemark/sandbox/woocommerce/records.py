"""The sandbox's constants, its errors as WooCommerce words them, its records (posts, variants,
orders), and small helpers."""

from __future__ import annotations

import logging
import math
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from tidemark.sandbox.webhooks import WebhookSender

log = logging.getLogger(__name__)


API_NAMESPACE = "wc/v3"
API_ROOT = f"/wp-json/{API_NAMESPACE}"
BATCH_LIMIT = 100  # the default of the woocommerce_rest_batch_items_limit filter
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 10
OAUTH_WINDOW_SECONDS = 15 * 60
POST_STATUSES = ("draft", "pending", "private", "publish", "future", "trash")
PRODUCT_TYPES = ("simple", "grouped", "external", "variable")
ORDERBY = (
    "date",
    "modified",
    "id",
    "include",
    "title",
    "slug",
    "price",
    "popularity",
    "rating",
    "menu_order",
)
NAMESPACES = ["oembed/1.0", "wc/v1", "wc/v2", "wc/v3", "wc/store/v1", "wp/v2"]
SIZES = ("S", "M", "L", "XL")
WC_VERSION = "9.9.5"
USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/6.8.2)"
# wp_hash's salt, which makes a Delivery-ID a hash of (webhook id, second) on a given site
DELIVERY_SALT = b"tidemark-sandbox"
OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class WooError(Exception):
    """A WP_Error: answered as `{"code", "message", "data": {"status", ...}}`."""

    def __init__(self, status: int, code: str, message: str, **data: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.data = data

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "data": {"status": self.status, **self.data}}


def invalid_id(kind: str, status: int) -> WooError:
    return WooError(status, f"woocommerce_rest_{kind}_invalid_id", "Invalid ID.")


# ---------------------------------------------------------------------------------------------
# The catalog


@dataclass
class Post:
    """A product or a variation (both are posts in WordPress, numbered from one sequence)."""

    id: int
    parent_id: int  # 0 for a product
    type: str  # simple | variable | variation (grouped / external can be created, not generated)
    name: str
    status: str
    sku: str
    global_unique_id: str
    regular_price: str
    sale_price: str
    manage_stock: bool
    stock_quantity: int | None
    stock_status: str
    date_created: datetime
    date_modified: datetime
    option: str = ""  # a variation's Size
    variation_ids: list[int] = field(default_factory=list)

    @property
    def is_sellable(self) -> bool:
        return self.type != "variable"


@dataclass(frozen=True)
class WooVariant:
    """One sellable item (a simple product or a variation) as the sandbox holds it."""

    sku: str
    quantity: int
    product_id: int
    variation_id: int | None
    barcode: str
    price: str
    status: str  # the product's status (a variation's own when it is not "publish")

    @property
    def inventory_item_id(self) -> str:
        """How Tidemark's WooCommerce client names the item: `<product>` or `<product>/<variation>`."""
        if self.variation_id is None:
            return str(self.product_id)
        return f"{self.product_id}/{self.variation_id}"


@dataclass
class OrderLine:
    id: int
    post_id: int  # the simple product or the variation sold
    product_id: int
    variation_id: int  # 0 for a simple product, as WooCommerce writes it
    sku: str
    name: str
    quantity: int
    price: Decimal
    reduced: int  # the stock taken (WooCommerce's _reduced_stock): 0 when stock is not managed


@dataclass
class Order:
    id: int
    key: str
    status: str
    lines: list[OrderLine]
    date_created: datetime
    date_modified: datetime


# ---------------------------------------------------------------------------------------------
# Helpers


def admin_row(variant: WooVariant) -> dict[str, Any]:
    """One variant as the sandbox admin API lists it."""
    return {
        "sku": variant.sku,
        "quantity": variant.quantity,
        "price": variant.price,
        "status": "active" if variant.status == "publish" else "hidden",
        "product_id": variant.product_id,
        "variation_id": variant.variation_id,
        "inventory_item_id": variant.inventory_item_id,
    }


def stop_sender(sender: WebhookSender | None) -> None:
    if sender is not None:
        sender.flush()
        sender.close()


def ping_webhook(url: str, webhook_id: int) -> None:
    """WC_Webhook::deliver_ping: a form body, no signature. WooCommerce shows an error for an answer
    other than 200 and saves the webhook anyway."""
    headers = {"User-Agent": USER_AGENT, "Content-Type": "application/x-www-form-urlencoded"}
    try:
        status = httpx.post(url, content=f"webhook_id={webhook_id}", headers=headers, timeout=5.0).status_code
    except httpx.HTTPError as error:
        log.warning("webhook ping: the delivery URL %s cannot be reached (%s); check it is up", url, error)
        return
    if status != 200:
        log.warning(
            "webhook ping: the delivery URL %s answered HTTP %d; it must answer a ping 200", url, status
        )


def random_price(rng: random.Random) -> str:
    return f"{rng.randint(300, 19_999) / 100:.2f}"


def stock_status(managed: bool, quantity: int | None) -> str:
    if not managed:
        return "instock"
    return "instock" if (quantity or 0) > 0 else "outofstock"


def ean13(twelve_digits: int) -> str:
    digits = f"{twelve_digits:012d}"
    total = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def local_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def intval(value: Any) -> int:
    """PHP's intval, as wc_stock_amount applies it: 12, "12", 12.7 and "12.7" are 12; "abc" is 0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else 0
    match = re.match(r"^\s*([+-]?\d+)", str(value)) if value is not None else None
    return int(match.group(1)) if match else 0
