"""Reading WooCommerce's answers: variants, catalog cursors, push targets, refusals and their fixes."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import httpx

from shared.channels.base import (
    ChannelAuthError,
    ChannelError,
    ChannelOrder,
    ChannelVariant,
    PushOutcome,
    PushResult,
    VariantStatus,
)

BATCH_DEFAULT = 100  # the default of WooCommerce's woocommerce_rest_batch_items_limit filter
NOT_STOCKED_TYPES = frozenset({"grouped", "external"})
KEY_FIX = "check the key and secret, and that the key has read/write permission"
RELINK = "link the listing again, or unlink it"
# WooCommerce keeps a status per product and per variation, with the same values
STATUSES = {VariantStatus.ACTIVE: "publish", VariantStatus.HIDDEN: "private"}

ORDER_INVALID_ID = "woocommerce_rest_shop_order_invalid_id"  # GET /orders/{id} of no order: 404

ITEM_ID = re.compile(r"^(?P<product>\d+)(?:/(?P<variation>\d+))?$")
_ID = re.compile(r"[0-9]+")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Cursor:
    """Where the catalog read stands: a page of products (sorted by id), the last product of it
    already read in full, and the variable product being read with its next variation page."""

    page: int = 1
    after_id: int = 0
    product_id: int | None = None
    variation_page: int = 1

    def encode(self) -> str:
        raw = {"p": self.page, "a": self.after_id, "v": self.product_id, "vp": self.variation_page}
        return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()

    @classmethod
    def decode(cls, cursor: str | None) -> Cursor:
        if cursor is None:
            return cls()
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            return cls(
                int(raw["p"]), int(raw["a"]), None if raw["v"] is None else int(raw["v"]), int(raw["vp"])
            )
        except (binascii.Error, ValueError, KeyError, TypeError) as error:
            raise ChannelError(
                "the catalog cursor is not one this WooCommerce client wrote: start the catalog read again",
                retryable=False,
            ) from error


@dataclass(frozen=True)
class Target:
    """One push, parsed: a simple product (variation None) or a variation of a product, and the
    fields its batch update sets."""

    index: int
    sku: str
    product_id: int
    variation_id: int | None
    fields: dict[str, Any]

    @property
    def item_id(self) -> int:
        return self.variation_id if self.variation_id is not None else self.product_id

    @property
    def description(self) -> str:
        if self.variation_id is None:
            return f"product {self.product_id}"
        return f"variation {self.variation_id} of product {self.product_id}"


# -- mapping WooCommerce's answers ---------------------------------------------------------------


def product_variant(product: dict[str, Any]) -> ChannelVariant:
    product_id = str(product["id"])
    return ChannelVariant(
        variant_id=product_id,
        product_id=product_id,
        sku=str(product.get("sku") or ""),
        barcode=str(product.get("global_unique_id") or ""),
        inventory_item_id=product_id,
        location_id="",  # WooCommerce has no locations
        quantity=quantity_of(product.get("stock_quantity")),
        price=decimal_or_none(product.get("regular_price")),
        status=VariantStatus.ACTIVE if product.get("status") == "publish" else VariantStatus.HIDDEN,
    )


def variation_variant(product: dict[str, Any], variation: dict[str, Any]) -> ChannelVariant:
    """A variation is on sale when it and its product are published."""
    product_id, variation_id = str(product["id"]), str(variation["id"])
    published = product.get("status") == "publish" and variation.get("status", "publish") == "publish"
    return ChannelVariant(
        variant_id=variation_id,
        product_id=product_id,
        sku=str(variation.get("sku") or ""),
        barcode=str(variation.get("global_unique_id") or ""),
        inventory_item_id=f"{product_id}/{variation_id}",
        location_id="",
        quantity=quantity_of(variation.get("stock_quantity")),
        price=decimal_or_none(variation.get("regular_price")),
        status=VariantStatus.ACTIVE if published else VariantStatus.HIDDEN,
    )


def quantity_of(value: Any) -> int:
    try:
        return int(value) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def decimal_or_none(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def current_variant(
    where: tuple[int, int | None] | None,
    products: dict[int, dict[str, Any]],
    variations: dict[int, dict[str, Any]],
) -> ChannelVariant | None:
    """A located variant as read now; None when it is gone, or not stocked."""
    product = products.get(where[0]) if where is not None else None
    if where is None or product is None:
        return None
    if where[1] is None:
        stocked = type_of(product) not in ("variable", *NOT_STOCKED_TYPES)
        return product_variant(product) if stocked else None
    variation = variations.get(where[1])
    return variation_variant(product, variation) if variation is not None else None


def type_of(product: dict[str, Any] | None) -> str:
    return str((product or {}).get("type") or "simple")


def locate(product_id: str, variant_id: str) -> tuple[int, int | None] | None:
    """(product, variation) from a variant's ids; a simple product is its own variant."""
    if not (_ID.fullmatch(product_id) and _ID.fullmatch(variant_id)):
        return None
    return int(product_id), None if variant_id == product_id else int(variant_id)


def target_of(
    index: int, sku: str, product_id: str, variant_id: str, fields: dict[str, Any]
) -> Target | PushResult:
    where = locate(product_id, variant_id)
    if where is None:
        return failed(
            sku,
            f"variant {variant_id!r} of product {product_id!r} is not a WooCommerce product or "
            f"variation: {RELINK}",
        )
    return Target(index, sku, where[0], where[1], fields)


def outcome_of(target: Target, entry: dict[str, Any], what: str) -> PushResult:
    error = entry.get("error")
    if isinstance(error, dict):
        return failed(target.sku, fix_for(target, error, what))
    if what != "quantity":
        return PushResult(sku=target.sku, outcome=PushOutcome.PUSHED)
    held = entry.get("stock_quantity")
    if held is None:
        return failed(
            target.sku,
            f"WooCommerce did not take the quantity for {target.description}: stock management is off; "
            "turn on WooCommerce > Settings > Products > Inventory > Enable stock management",
        )
    return PushResult(sku=target.sku, outcome=PushOutcome.PUSHED, observed=quantity_of(held))


def fix_for(target: Target, error: dict[str, Any], what: str) -> str:
    code, message = str(error.get("code") or ""), str(error.get("message") or "")
    data = error.get("data")
    holder = data.get("resource_id") if isinstance(data, dict) else None
    other = f"item {holder}" if holder else "another item"
    fixes = {
        "woocommerce_rest_product_invalid_id": (
            f"product {target.product_id} does not exist on WooCommerce any more: {RELINK}"
        ),
        "woocommerce_rest_product_variation_invalid_id": (
            f"variation {target.variation_id} of product {target.product_id} does not exist on WooCommerce "
            f"any more: {RELINK}"
        ),
        "product_invalid_sku": (
            f"WooCommerce would not save {target.description}: its SKU is also used by {other} "
            f"({code}: {message}); make the SKUs unique on WooCommerce, then push again"
        ),
        "woocommerce_rest_cannot_edit": (
            f"the key's user may not edit {target.description} on WooCommerce: give the user the shop "
            "manager role, or use a key of an administrator"
        ),
    }
    return fixes.get(
        code,
        f"WooCommerce refused the {what} for {target.description} ({code}: {message}); check the item on "
        "WooCommerce",
    )


def failed(sku: str, message: str) -> PushResult:
    return PushResult(sku=sku, outcome=PushOutcome.FAILED, message=f"{sku}: {message}")


def check_size(count: int, limit: int, what: str) -> None:
    if count > limit:
        raise ValueError(f"push at most {limit} {what} a call, not {count}")


def chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise ChannelError(
            f"WooCommerce answered {response.request.url.path} with a body that is not JSON (a caching or "
            "security plugin in the way?)",
            retryable=True,
        ) from error


def error_of(response: httpx.Response) -> tuple[str, str]:
    """WordPress's error `code` and `message`, or the start of a body that is not one."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "message" in body:
        return str(body.get("code") or "no code"), str(body["message"])[:300]
    return "no code", response.text[:200] or response.reason_phrase


def order_state(order_id: str, body: Any) -> ChannelOrder:
    """An order as GET /orders/{id} answers it. Cancelled is the status a cancel's webhook carries
    (order.updated, shared/domain/channel_events.py) and the one WooCommerce puts the stock back in
    (wc_maybe_increase_stock_levels); a refunded order restocks only the units its refund says to."""
    if not isinstance(body, dict):
        raise ChannelError(
            f"WooCommerce answered order {order_id} with something other than an order", retryable=True
        )
    return ChannelOrder(order_id=order_id, cancelled=body.get("status") == "cancelled")


def refusal(
    store_url: str, method: str, where: str, response: httpx.Response, batch_size: int | None
) -> ChannelError:
    """The error that names the fix for a request WooCommerce refused."""
    code, message = error_of(response)
    status = response.status_code
    if status in (401, 403):
        return ChannelAuthError(
            f"WooCommerce refused the consumer key for {store_url}: {KEY_FIX}; for HTTP 403, also "
            f"that the key's user is a shop manager or administrator (HTTP {status}, {code}: {message})"
            if status == 403
            else f"WooCommerce refused the consumer key for {store_url}: {KEY_FIX} "
            f"(HTTP 401, {code}: {message})"
        )
    if status == 413:
        return ChannelError(
            f"WooCommerce refused a batch of {batch_size or 'several'} items at {store_url}{where} "
            f"with HTTP 413 ({code}: {message}): the store accepts fewer than WooCommerce's default of "
            f"{BATCH_DEFAULT} items a batch; raise its woocommerce_rest_batch_items_limit filter (or the "
            "web server's request size limit) back to 100",
            retryable=False,
        )
    if status == 404 and code == "rest_no_route":
        return ChannelError(
            f"{store_url} has no WooCommerce route {method} {where} ({code}: {message}): check the "
            "store URL, that WooCommerce is active, and that WordPress permalinks are not set to Plain",
            retryable=False,
        )
    return ChannelError(
        f"WooCommerce refused {method} {where} with HTTP {status} ({code}: {message}); check the store "
        "URL and the product on WooCommerce",
        retryable=False,
    )
