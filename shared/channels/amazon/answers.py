"""What SP-API's answers mean: a listings item as a ChannelVariant, an error body as the
ChannelError that names the fix, a submission's or a feed message's issues as a failed push."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from shared.channels.base import ChannelAuthError, ChannelError, ChannelVariant, PushOutcome, PushResult

LOCATION = "DEFAULT"  # the merchant-fulfilled channel code: the one stock the client pushes


class TokenExpired(Exception):
    """SP-API refused the access token as expired: exchange a new one and send again."""


def json_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    body = json_of(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def described(errors: list[dict[str, Any]]) -> str:
    parts = []
    for error in errors:
        text = f"{error.get('code', '?')}: {error.get('message', '')}".strip()
        if error.get("details"):
            text += f" ({error['details']})"
        parts.append(text)
    return "; ".join(parts) or "no error body"


def refusal(response: httpx.Response, what: str, seller_id: str) -> ChannelError:
    """The ChannelError for a 4xx SP-API answer (429 and 5xx never get here: retry.py has them)."""
    errors = errors_of(response)
    said = described(errors)
    status = response.status_code
    if status == 403:
        details = " ".join(str(e.get("details", "")) for e in errors).lower()
        if "expired" in details:
            raise TokenExpired
        return ChannelAuthError(
            f"Amazon refused {what} for seller {seller_id} ({said}): check --seller-id "
            "(Seller Central > Settings > Merchant Token) and that this seller authorized the app with "
            "the refresh token given",
            field="seller_id",
        )
    if status == 400 and "marketplace" in said.lower():
        return ChannelError(
            f"Amazon refused {what}: {said}; pass --marketplace with a marketplace id this seller sells in "
            "(ATVPDKIKX0DER is the US)",
            retryable=False,
            field="marketplace_id",
        )
    return ChannelError(
        f"Amazon refused {what} (HTTP {status}, {said}): check the request's values", retryable=False
    )


def variant_of(item: dict[str, Any], marketplace_id: str) -> ChannelVariant:
    """A listings item read with summaries, attributes, offers and fulfillmentAvailability. The SKU is
    the variant, the ASIN its product; UPC (else EAN) from the externally assigned identifiers."""
    sku = str(item.get("sku", ""))
    summary = _for_marketplace(item.get("summaries"), "marketplaceId", marketplace_id)
    asin = str(summary.get("asin") or "")
    return ChannelVariant(
        variant_id=sku,
        product_id=asin or sku,
        sku=sku,
        barcode=_identifier(item.get("attributes"), marketplace_id),
        inventory_item_id=sku,
        location_id=LOCATION,
        quantity=_quantity(item.get("fulfillmentAvailability")),
        price=_price(item.get("offers"), marketplace_id),
    )


def asin_of(variant: ChannelVariant) -> str:
    return variant.product_id if variant.product_id != variant.sku else ""


def _for_marketplace(entries: Any, key: str, marketplace_id: str) -> dict[str, Any]:
    if not isinstance(entries, list):
        return {}
    for entry in entries:
        if isinstance(entry, dict) and entry.get(key) in (marketplace_id, None):
            return entry
    return {}


def _identifier(attributes: Any, marketplace_id: str) -> str:
    found = attributes.get("externally_assigned_product_identifier") if isinstance(attributes, dict) else None
    values: dict[str, str] = {}
    for entry in found if isinstance(found, list) else []:
        if isinstance(entry, dict) and entry.get("marketplace_id") in (marketplace_id, None):
            values.setdefault(str(entry.get("type", "")).lower(), str(entry.get("value") or "").strip())
    return values.get("upc") or values.get("ean") or values.get("gtin") or ""


def _quantity(availability: Any) -> int:
    for entry in availability if isinstance(availability, list) else []:
        if isinstance(entry, dict) and entry.get("fulfillmentChannelCode") == LOCATION:
            quantity = entry.get("quantity")
            return quantity if isinstance(quantity, int) and quantity >= 0 else 0
    return 0


def _price(offers: Any, marketplace_id: str) -> Decimal | None:
    for entry in offers if isinstance(offers, list) else []:
        if (
            isinstance(entry, dict)
            and entry.get("marketplaceId") == marketplace_id
            and entry.get("offerType") == "B2C"
        ):
            amount = (entry.get("price") or {}).get("amount")
            try:
                return Decimal(str(amount))
            except InvalidOperation:
                return None
    return None


def issues_failure(sku: str, issues: list[Any], what: str) -> PushResult | None:
    """A failed push for a submission's or message's ERROR issues (with Amazon's words and a fix);
    None when it has none (warnings do not stop a listing)."""
    errors = [i for i in issues if isinstance(i, dict) and i.get("severity") == "ERROR"]
    if not errors:
        return None
    said = "; ".join(f"{i.get('code', '?')} {i.get('message', '')}".strip() for i in errors)
    if any("does not exist" in str(i.get("message", "")) for i in errors):
        fix = "the SKU is not listed on Amazon any more: run a re-link"
    else:
        fix = f"fix the listing's {what} in master (or the listing in Seller Central) and push again"
    return PushResult(
        sku=sku, outcome=PushOutcome.FAILED, message=f"Amazon refused the {what}: {said}; {fix}"
    )


def pushed(sku: str, observed: int | None = None) -> PushResult:
    return PushResult(sku=sku, outcome=PushOutcome.PUSHED, observed=observed)


def failed(sku: str, message: str) -> PushResult:
    return PushResult(sku=sku, outcome=PushOutcome.FAILED, message=message)
