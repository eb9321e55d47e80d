"""What eBay's answers mean: an offer as a ChannelVariant, a refused call as the ChannelError that
names its fix, a bulk_update_price_quantity entry as a PushResult."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import httpx

from shared.channels.base import ChannelError, ChannelVariant, PushOutcome, PushResult, VariantStatus

_T = TypeVar("_T")

RELINK = "link the listing again (tidemark channels link NAME), or unlink it"
CURRENCY = {
    "EBAY_US": "USD",
    "EBAY_MOTORS_US": "USD",
    "EBAY_CA": "CAD",
    "EBAY_GB": "GBP",
    "EBAY_AU": "AUD",
    "EBAY_DE": "EUR",
    "EBAY_FR": "EUR",
    "EBAY_IT": "EUR",
    "EBAY_ES": "EUR",
    "EBAY_AT": "EUR",
    "EBAY_BE": "EUR",
    "EBAY_IE": "EUR",
    "EBAY_NL": "EUR",
    "EBAY_CH": "CHF",
    "EBAY_PL": "PLN",
}
GONE_ERRORS = frozenset({25702, 25713})  # the SKU or the offer is not there


@dataclass(frozen=True)
class Order:
    """An eBay order as getOrder holds it: (lineItemId, sku, quantity) lines, and whether it was
    cancelled."""

    order_id: str
    lines: tuple[tuple[str, str, int], ...]
    cancelled: bool


def order_of(body: dict[str, Any]) -> Order:
    lines = tuple(
        (str(line.get("lineItemId") or ""), str(line.get("sku") or ""), int(line.get("quantity") or 0))
        for line in body.get("lineItems") or []
        if isinstance(line, dict)
    )
    cancel_state = str((body.get("cancelStatus") or {}).get("cancelState") or "NONE_REQUESTED")
    return Order(str(body.get("orderId") or ""), lines, cancel_state == "CANCELED")


def chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def said(errors: Sequence[dict[str, Any]]) -> str:
    if not errors:
        return "no reason given"
    first = errors[0]
    return (
        f"{first.get('message') or first.get('longMessage') or 'no message'} (errorId {first.get('errorId')})"
    )


def refusal(api_url: str, method: str, path: str, response: httpx.Response) -> ChannelError:
    """A whole call eBay refused (not 401, 429 or 5xx: the client and the retry layer take those)."""
    errors = errors_of(response)
    if response.status_code == 403:
        return ChannelError(
            f"eBay refused {method} {path} at {api_url}: {said(errors)}: the refresh token lacks the "
            "sell.inventory scope; ask the seller to consent again with it",
            retryable=False,
        )
    return ChannelError(
        f"eBay answered {method} {path} HTTP {response.status_code}: {said(errors)}; check the channel's "
        "marketplace and its offers in Seller Hub",
        retryable=False,
    )


def price_of(offer: dict[str, Any]) -> Decimal | None:
    price = (offer.get("pricingSummary") or {}).get("price") or {}
    try:
        return Decimal(str(price["value"]))
    except (KeyError, InvalidOperation):
        return None


def variant_of(offer: dict[str, Any], item: dict[str, Any] | None) -> ChannelVariant:
    """An offer on the channel's marketplace as a variant: the offer is what is pushed (its id is
    the variant's and the inventory item id's), the SKU is the eBay product."""
    return ChannelVariant(
        variant_id=str(offer["offerId"]),
        product_id=str(offer.get("sku") or ""),
        sku=str(offer.get("sku") or ""),
        barcode=_barcode(item),
        inventory_item_id=str(offer["offerId"]),
        location_id=str(offer.get("marketplaceId") or ""),
        quantity=int(offer.get("availableQuantity") or 0),
        price=price_of(offer),
        status=VariantStatus.ACTIVE if offer.get("status") == "PUBLISHED" else VariantStatus.HIDDEN,
    )


def _barcode(item: dict[str, Any] | None) -> str:
    """The inventory item's first UPC or EAN ("" without one)."""
    product = (item or {}).get("product") or {}
    barcodes = [*(product.get("upc") or []), *(product.get("ean") or [])]
    return str(barcodes[0]) if barcodes else ""


def entry_result(sku: str, offer_id: str, entry: dict[str, Any] | None, what: str) -> PushResult:
    if entry is None:
        return PushResult(
            sku=sku,
            outcome=PushOutcome.FAILED,
            message=f"eBay did not answer for offer {offer_id} of SKU {sku}: push again",
        )
    if int(entry.get("statusCode") or 0) == 200:
        return PushResult(sku=sku, outcome=PushOutcome.PUSHED)
    errors = [e for e in entry.get("errors") or [] if isinstance(e, dict)]
    return PushResult(sku=sku, outcome=PushOutcome.FAILED, message=_fix(sku, offer_id, errors, what))


def _fix(sku: str, offer_id: str, errors: list[dict[str, Any]], what: str) -> str:
    reason = said(errors)
    text = " ".join(str(e.get("message") or "") for e in errors)
    ids = {e.get("errorId") for e in errors}
    head = f"eBay refused the {what} of SKU {sku} (offer {offer_id}): {reason}"
    if "not published" in text:
        return (
            f"skipped: offer {offer_id} of SKU {sku} is not published on eBay, and eBay revises only "
            "published offers this way; publish it (push the listing's status active, or list it in "
            "Seller Hub) and push again"
        )
    if "revisions" in text:
        return (
            f"{head}; eBay allows 250 revisions of a listing a calendar day: it takes pushes again tomorrow"
        )
    if ids & GONE_ERRORS:
        return f"{head}; the offer is gone from eBay: {RELINK}"
    return f"{head}; fix the listing in Seller Hub and push again"
